"""Reservations (devices booked for an event), a kind's reservation rules and availability:
request and reply shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from ..circulation.reservations import ReservationStatus, UnitStatus
from .base import Code, Input, Kind, LoanOut, Name, Out, Page, Text

PointCode = Annotated[str, Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]
Moment = Annotated[datetime, Meta(tz=True, description="ISO 8601 with a UTC offset")]
Quantity = Annotated[int, Meta(ge=1, le=500)]
Barcodes = Annotated[list[Code], Meta(min_length=1, max_length=500)]
Hours = Annotated[int, Meta(ge=0, le=24 * 366)]
Minutes = Annotated[int, Meta(ge=0, le=7 * 24 * 60)]


class ReservationIn(Input):
    service_point: PointCode
    kind: Kind
    starts_at: Moment
    ends_at: Moment
    event: Name  # what it is for: "Digital skills class, Room 2"
    # A count of the kind, or named devices (a cart and its kit): at least one of the two.
    quantity: Quantity | None = None
    devices: Barcodes | None = None
    responsible: Name | None = None  # who answers for the devices; default: the patron or you
    patron: Code | None = None  # a patron responsible for them (their card number)
    notes: Text = ""


class CancelIn(Input):
    reason: Annotated[str, Meta(min_length=1, max_length=200)]


class BarcodesIn(Input):
    devices: Barcodes


class SetAsideIn(Input):
    # Devices scanned off the shelf for it; none: the system chooses free ones.
    devices: Annotated[list[Code], Meta(max_length=500)] = []


class ReservationRuleIn(Input):
    lead_time_hours: Hours | msgspec.UnsetType = msgspec.UNSET
    max_length_hours: Annotated[int, Meta(ge=1, le=24 * 366)] | msgspec.UnsetType = msgspec.UNSET
    buffer_minutes: Minutes | msgspec.UnsetType = msgspec.UNSET
    set_aside_hours: Hours | msgspec.UnsetType = msgspec.UNSET
    auto_cancel_minutes: Minutes | msgspec.UnsetType = msgspec.UNSET


class ReservationRuleOut(Out):
    kind: str
    lead_time_hours: int
    max_length_hours: int
    buffer_minutes: int
    set_aside_hours: int
    auto_cancel_minutes: int


class UnitOut(Out):
    id: int
    device: str | None  # its barcode; None: any of the kind, not chosen yet
    named: bool  # named when it was booked
    status: UnitStatus
    device_status: str | None
    location: str | None  # the shelf it is kept on, for the pull list
    loan: int | None
    note: str  # e.g. "replaces DEV004 (overdue)"


class ReservationOut(Out):
    id: int
    service_point: str
    branch: str
    kind: str
    quantity: int
    starts_at: datetime
    ends_at: datetime
    free_at: datetime  # the end plus the kind's buffer
    set_aside_at: datetime
    no_show_at: datetime
    event: str
    responsible: str
    patron: str | None
    partner: str | None
    status: ReservationStatus
    made_by: str
    notes: str
    short: int  # devices that could not be set aside (none free to replace one)
    set_aside: int  # devices set aside now
    out: int  # devices lent to the event now
    returned: int
    created_at: datetime
    closed_at: datetime | None
    close_reason: str
    units: list[UnitOut] = []


ReservationList = Page[ReservationOut]


class PickupReply(Out):
    reservation: ReservationOut
    loans: list[LoanOut]


class StepOut(Out):
    starts_at: datetime
    ends_at: datetime
    free: int


class DayOut(Out):
    date: date
    fewest_free: int  # the lowest number of free devices at any moment of the day
    reservations: list[int]  # ids of the reservations that hold devices that day


class AvailabilityOut(Out):
    kind: str
    branch: str
    service_point: str | None
    pool: int  # devices of the kind at the branch, not lost, retired or in repair
    starts_at: datetime
    ends_at: datetime
    steps: list[StepOut]
    days: list[DayOut]
    reservations: list[ReservationOut]


class PullListOut(Out):
    service_point: str | None
    until: datetime
    reservations: list[ReservationOut]
