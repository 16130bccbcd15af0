"""The SIP2 server with implementations that are not ours: the PyPI `sip2` client (version 1.1,
as self-check vendors' scripts use it) runs a whole kiosk session; and a TLS terminal reaches
the server when a certificate is set."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

from fake_ils import self_signed_tls
from kiosk import TODAY, start_sip_server
from test_sip2_server import _pending_restores, _suspended_line_on

from lending.sip2.codec import checksum, parse


def _outside_session(port: int, logdir: Path) -> dict[str, dict]:
    """A kiosk session through the PyPI client, in a thread (it is blocking)."""
    from Sip2.sip2 import Sip2

    client = Sip2()
    client.hostName, client.hostPort = "127.0.0.1", port
    client.tlsEnable = False  # it would try TLS first against a plain server
    client.logfile_path = str(logdir)  # it writes sip2.log
    client.socketTimeout = 10
    client.institutionId = "MAIN"
    client.connect()
    seen = {}
    try:
        seen["login"] = client.sip_login_response(
            client.get_response(client.sip_login_request("kiosk1", "kiosk-pass-1"))
        )
        seen["status"] = client.sip_sc_status_response(
            client.get_response(client.sip_sc_status_request())
        )
        client.patron, client.patronpwd = "P001", "1234"
        seen["patron"] = client.sip_patron_information_response(
            client.get_response(client.sip_patron_information_request("charged"))
        )
        seen["checkout"] = client.sip_checkout_response(
            client.get_response(client.sip_checkout_request("DEV001"))
        )
        seen["renew"] = client.sip_renew_response(
            client.get_response(client.sip_renew_request("DEV001"))
        )
        seen["checkin"] = client.sip_checkin_response(
            client.get_response(client.sip_checkin_request("DEV001"))
        )
        seen["end"] = client.sip_end_patron_session_response(
            client.get_response(client.sip_end_patron_session_request())
        )
    finally:
        client.disconnect()
    return seen


def _variable(parsed: dict, field: str) -> str:
    value = parsed["variable"].get(field)
    return value[0] if isinstance(value, list) else value


async def test_the_pypi_sip2_client_runs_a_whole_kiosk_session(sip, api, tmp_path):
    await _suspended_line_on(api, "DEV001")
    r = await api.client.post(
        "/api/holds",
        json={"patron": "P003", "kind": "hotspot", "branch": "MAIN"},
        headers=api.headers["desk"],
    )
    assert r.status_code == 201, r.text  # P003 waits; DEV002 and DEV003 are on the shelf

    seen = await asyncio.to_thread(_outside_session, sip.port, tmp_path)

    assert seen["login"]["fixed"]["Ok"] == "1"
    assert seen["status"]["fixed"]["OnlineStatus"] == "Y"
    assert seen["status"]["fixed"]["ProtocolVersion"] == "2.00"
    assert _variable(seen["patron"], "BL") == "Y" and _variable(seen["patron"], "CQ") == "Y"
    assert _variable(seen["patron"], "AE") == "Ana"
    assert seen["checkout"]["fixed"]["Ok"] == "1", seen["checkout"]
    assert "turned back on" in _variable(seen["checkout"], "AF")
    assert await _pending_restores() == 1
    assert seen["renew"]["fixed"]["Ok"] == "1", seen["renew"]
    assert seen["checkin"]["fixed"]["Ok"] == "1"
    assert "hold shelf" in _variable(seen["checkin"], "AF")
    assert seen["end"]["fixed"]["EndSession"] == "Y"
    device = (await api.client.get("/api/devices/DEV001", headers=api.headers["desk"])).json()
    assert device["status"] == "on_hold_shelf"


async def test_a_kiosk_reaches_the_server_over_tls_when_a_certificate_is_set(
    sip, app, clock, tmp_path
):
    _context, cert = self_signed_tls(tmp_path)
    key = tmp_path / "ils.key"
    server = await start_sip_server(
        app.state.settings, clock, sip2_tls_cert=str(cert), sip2_tls_key=str(key)
    )
    try:
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port, ssl=context)
        text = "9300CNkiosk1|COkiosk-pass-1|CPMAIN|AY0AZ"
        writer.write((text + checksum(text) + "\r").encode())
        await writer.drain()
        assert parse((await reader.readuntil(b"\r")).decode()).fixed["ok"] == "1"
        text = f"17{TODAY}AOMAIN|ABDEV001|AY1AZ"
        writer.write((text + checksum(text) + "\r").encode())
        await writer.drain()
        assert parse((await reader.readuntil(b"\r")).decode()).command == "18"
        writer.close()
    finally:
        await server.close()
