"""Data plans, service lines and their carrier actions: request and reply shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from ..circulation import LineStatus
from .base import MAX_ID, Input, Out

Words = Annotated[str, Meta(min_length=1, max_length=100)]
Number = Annotated[str, Meta(min_length=1, max_length=40)]
Cost = Annotated[float, Meta(ge=0, le=100_000)]
Cap = Annotated[int, Meta(ge=1, le=100_000)]


class PlanIn(Input):
    carrier: Words
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    monthly_cost: Cost = 0
    data_cap_gb: Cap | None = None
    term_end: date | None = None


class PlanPatch(Input):
    carrier: Words | msgspec.UnsetType = msgspec.UNSET
    name: Annotated[str, Meta(min_length=1, max_length=200)] | msgspec.UnsetType = msgspec.UNSET
    monthly_cost: Cost | msgspec.UnsetType = msgspec.UNSET
    data_cap_gb: Cap | None | msgspec.UnsetType = msgspec.UNSET
    term_end: date | None | msgspec.UnsetType = msgspec.UNSET


class PlanOut(Out):
    id: int
    carrier: str
    name: str
    monthly_cost: float
    data_cap_gb: int | None
    term_end: date | None


class PlanList(Out):
    items: list[PlanOut]
    total: int


class LineIn(Input):
    iccid: Number
    phone_number: Number
    carrier: Words
    plan: Annotated[int, Meta(ge=1, le=MAX_ID)] | None = None
    device: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    status: Annotated[str, Meta(max_length=16)] = LineStatus.ACTIVE.value
    imei: Annotated[str, Meta(min_length=1, max_length=40)] | None = None  # set on `device`


class LinePatch(Input):
    phone_number: Number | msgspec.UnsetType = msgspec.UNSET
    carrier: Words | msgspec.UnsetType = msgspec.UNSET
    plan: Annotated[int, Meta(ge=1, le=MAX_ID)] | None | msgspec.UnsetType = msgspec.UNSET
    status: Annotated[str, Meta(max_length=16)] | msgspec.UnsetType = msgspec.UNSET


class LineMoveIn(Input):
    device: Annotated[str, Meta(min_length=1, max_length=64)] | None


class MoveOut(Out):
    from_device: str | None
    to_device: str | None
    at: datetime
    by: str


class LineOut(Out):
    iccid: str
    phone_number: str
    carrier: str
    plan: int | None
    plan_name: str | None
    status: str
    device: str | None
    moves: list[MoveOut] | msgspec.UnsetType = msgspec.UNSET


class LineList(Out):
    items: list[LineOut]
    total: int


class CarrierActionOut(Out):
    """A queued suspend or restore of a line (a staff task with the manual gateway)."""

    id: int
    action: str
    status: str
    text: str
    iccid: str
    phone_number: str
    carrier: str
    line_status: str
    device: str | None
    loan: int | None
    attempts: int
    in_flight: bool
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    done_at: datetime | None
    done_by: str | None


class CarrierActionList(Out):
    items: list[CarrierActionOut]
    total: int
