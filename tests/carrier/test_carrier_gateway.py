"""The gateways on their own: signatures, failures and timeouts, settings, task wording."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from lending.carrier import (
    GatewayError,
    ManualGateway,
    WebhookGateway,
    action_text,
    format_phone,
    gateway_for,
)
from lending.services.lines.carrier_actions import backoff
from lending.settings import Settings, SettingsError

ACTION = {
    "action": "suspend",
    "iccid": "8901410000000000011",
    "phone_number": "+15550100",
    "carrier": "T-Mobile",
    "request_id": "lending-carrier-action-1",
}


async def test_webhook_posts_the_action_signed_with_the_shared_secret(carrier_server):
    gateway = gateway_for(carrier_server.settings())
    assert isinstance(gateway, WebhookGateway)
    reply = await gateway.perform(ACTION)
    assert reply.startswith("HTTP 200")
    [request] = carrier_server.requests
    assert request.body == ACTION
    expected = hmac.new(b"carrier-shared-secret", request.raw, hashlib.sha256).hexdigest()
    assert request.signature == f"sha256={expected}" and request.signature_ok
    assert json.loads(request.raw) == ACTION


async def test_webhook_treats_an_error_reply_as_a_failure(carrier_server):
    carrier_server.always(404)
    with pytest.raises(GatewayError, match="HTTP 404"):
        await gateway_for(carrier_server.settings()).perform(ACTION)


async def test_webhook_treats_a_slow_carrier_as_a_failure(carrier_server):
    carrier_server.respond = lambda body, n: None  # hangs for two seconds
    gateway = WebhookGateway(carrier_server.url, "carrier-shared-secret", timeout=0.3)
    with pytest.raises(GatewayError, match="no reply"):
        await gateway.perform(ACTION)


async def test_webhook_treats_an_unreachable_carrier_as_a_failure():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    gateway = WebhookGateway(f"http://127.0.0.1:{port}/", "secret", timeout=2)
    with pytest.raises(GatewayError, match="could not reach"):
        await gateway.perform(ACTION)


async def test_manual_gateway_words_the_task_for_staff():
    gateway = gateway_for(Settings())
    assert isinstance(gateway, ManualGateway) and gateway.makes_tasks
    text = await gateway.perform(ACTION)
    assert text == "Suspend line +1 555 0100 (ICCID 8901410000000000011) at T-Mobile"
    assert action_text("restore", "+13125550100", "89", "AT&T") == (
        "Restore line +1 312 555 0100 (ICCID 89) at AT&T"
    )
    assert format_phone("+447700900123") == "+447700900123"


def test_backoff_doubles_from_one_minute_up_to_an_hour():
    assert [backoff(n).total_seconds() / 60 for n in range(1, 9)] == [
        1,
        2,
        4,
        8,
        16,
        32,
        60,
        60,
    ]


def test_carrier_settings_default_to_manual_with_five_actions_a_day_and_eight_attempts():
    settings = Settings.from_env({})
    assert settings.carrier_gateway == "manual"
    assert settings.carrier_daily_limit == 5 and settings.carrier_max_attempts == 8
    env = {
        "LENDING_CARRIER_GATEWAY": "webhook",
        "LENDING_CARRIER_WEBHOOK_URL": "https://carrier.example/hook",
        "LENDING_CARRIER_WEBHOOK_SECRET": "s3cret",
        "LENDING_CARRIER_DAILY_LIMIT": "3",
        "LENDING_CARRIER_MAX_ATTEMPTS": "4",
    }
    settings = Settings.from_env(env)
    assert settings.carrier_gateway == "webhook" and settings.carrier_daily_limit == 3
    assert settings.carrier_max_attempts == 4
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    "env",
    [
        {"LENDING_CARRIER_GATEWAY": "carrier-pigeon"},
        {"LENDING_CARRIER_GATEWAY": "webhook"},
        {"LENDING_CARRIER_GATEWAY": "webhook", "LENDING_CARRIER_WEBHOOK_URL": "https://x.example"},
        {"LENDING_CARRIER_WEBHOOK_URL": "ftp://x.example"},
        {"LENDING_CARRIER_DAILY_LIMIT": "0"},
        {"LENDING_CARRIER_MAX_ATTEMPTS": "many"},
    ],
)
def test_bad_carrier_settings_are_refused_with_a_clear_message(env):
    with pytest.raises(SettingsError, match="LENDING_CARRIER"):
        Settings.from_env(env)
