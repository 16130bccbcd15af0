"""The gateway interface and the words staff read for an action."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, TypedDict

__all__ = ["CarrierGateway", "CarrierRequest", "GatewayError", "action_text", "format_phone"]


class CarrierRequest(TypedDict):
    """One action as a gateway receives it (the webhook's JSON body)."""

    action: str  # suspend | restore
    iccid: str
    phone_number: str
    carrier: str
    request_id: str  # stable per action, so a carrier can spot a retry


class GatewayError(Exception):
    """The carrier did not carry the action out (error reply, timeout, unreachable)."""


class CarrierGateway(ABC):
    """Carries out one action (a CarrierRequest: "action" (suspend|restore), "iccid",
    "phone_number", "carrier" and "request_id", stable per action, so a carrier can spot a
    retry of a request it already handled). Returns a short note about the carrier's reply;
    raises GatewayError when the action was not carried out."""

    name: ClassVar[str] = "gateway"
    # True: actions become staff tasks, marked done by a person (nothing is sent).
    makes_tasks: ClassVar[bool] = False

    @abstractmethod
    async def perform(self, action: CarrierRequest) -> str: ...


def format_phone(msisdn: str) -> str:
    """E.164 as people read it: +15550100 -> "+1 555 0100", +13125550100 -> "+1 312 555 0100"."""
    if not msisdn.startswith("+1"):
        return msisdn
    rest = msisdn[2:]
    if len(rest) == 10:
        return f"+1 {rest[:3]} {rest[3:6]} {rest[6:]}"
    if len(rest) == 7:
        return f"+1 {rest[:3]} {rest[3:]}"
    return f"+1 {rest}"


def action_text(action: str, msisdn: str, iccid: str, carrier: str) -> str:
    """The words staff read, e.g. "Suspend line +1 555 0100 (ICCID 89...) at CARRIER"."""
    verb = {"suspend": "Suspend", "restore": "Restore"}.get(action, action.capitalize())
    return f"{verb} line {format_phone(msisdn)} (ICCID {iccid}) at {carrier}"
