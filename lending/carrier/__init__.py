"""The carrier gateway: how a line's suspend or restore reaches the carrier.

Two implementations, chosen by LENDING_CARRIER_GATEWAY: `manual` (each action becomes a staff
task) and `webhook` (a signed HTTP POST to a configured URL)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import CarrierGateway, CarrierRequest, GatewayError, action_text, format_phone
from .manual import ManualGateway
from .webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookGateway, sign

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = [
    "CarrierGateway",
    "CarrierRequest",
    "GatewayError",
    "ManualGateway",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookGateway",
    "action_text",
    "format_phone",
    "gateway_for",
    "sign",
]


def gateway_for(settings: Settings) -> CarrierGateway:
    """The gateway the settings choose (manual unless LENDING_CARRIER_GATEWAY=webhook)."""
    if settings.carrier_gateway == "webhook":
        return WebhookGateway(settings.carrier_webhook_url, settings.carrier_webhook_secret)
    return ManualGateway()
