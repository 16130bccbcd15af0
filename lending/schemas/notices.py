"""Response shapes of the notices: the call list (`GET /api/notices/calls`) and a notice
marked called. Services build them (lending.services.notices.call_list)."""

from __future__ import annotations

from datetime import datetime

from .base import Out

__all__ = ["CallList", "CallOut", "CalledOut"]


class CallOut(Out):
    id: int
    kind: str
    patron: str | None
    name: str | None
    phone: str | None
    language: str
    queued_at: datetime | None
    subject: str
    body: str
    note: str


class CallList(Out):
    items: list[CallOut]
    total: int


class CalledOut(Out):
    id: int
    kind: str
    patron: str | None
    status: str
    channel: str
    sent_at: datetime
    subject: str
    body: str
