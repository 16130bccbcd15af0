"""Service points (branch desks, bookmobiles, mobile labs, partner sites, lockers), their weekly
hours, a vehicle's stops and transfers of devices between points: request and reply shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from ..circulation import DeviceStatus
from ..circulation.schedules import WEEKDAYS, ServicePointType
from .base import Code, Input, Name, Out, Page, Short, Text, Timezone

PointCode = Annotated[str, Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]
PointType = Annotated[
    Literal[tuple(t.value for t in ServicePointType)],  # type: ignore[misc]
    Meta(description="branch, bookmobile, mobile_lab, partner_site or locker"),
]
Weekday = Annotated[Literal[WEEKDAYS], Meta(description="mon ... sun")]  # type: ignore[valid-type]
Clock = Annotated[str, Meta(pattern=r"^[0-9]{2}:[0-9]{2}$", description="HH:MM, local time")]
# {"mon": [["09:00", "17:00"]], ...}: checked in full by circulation.schedules.parse_weekly_hours.
Hours = Annotated[
    dict[
        Annotated[str, Meta(max_length=3)],
        Annotated[
            list[Annotated[list[Annotated[str, Meta(max_length=5)]], Meta(max_length=2)]],
            Meta(max_length=6),
        ],
    ],
    Meta(max_length=7, description='weekly open hours: {"mon": [["09:00", "17:00"]], ...}'),
]
Place = Annotated[str, Meta(min_length=1, max_length=200)]
EveryWeeks = Annotated[int, Meta(ge=1, le=8)]


class ServicePointIn(Input):
    code: PointCode
    name: Name
    type: PointType
    branch: Short  # the parent branch's code
    address: Text = ""
    timezone: Timezone | None = None  # None: the parent branch's
    hours: Hours = {}


class ServicePointPatch(Input):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    address: Text | msgspec.UnsetType = msgspec.UNSET
    timezone: Timezone | None | msgspec.UnsetType = msgspec.UNSET
    hours: Hours | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class StopIn(Input):
    place: Place
    weekday: Weekday
    starts: Clock
    ends: Clock
    season_starts: date
    season_ends: date | None = None
    every_weeks: EveryWeeks = 1


class StopCancellationIn(Input):
    date: date
    reason: Annotated[str, Meta(max_length=200)] = ""


class StopOut(Out):
    id: int
    place: str
    weekday: str
    starts: str
    ends: str
    season_starts: date
    season_ends: date | None
    every_weeks: int


class ServicePointOut(Out):
    code: str
    name: str
    type: str
    branch: str
    address: str
    timezone: str  # the zone its due dates use (its own, or the parent branch's)
    own_timezone: str | None
    hours: dict[str, list[list[str]]]
    active: bool
    stops: list[StopOut]


class ServicePointList(Page[ServicePointOut]):
    items: list[ServicePointOut]


class VisitOut(Out):
    date: date
    stop: int
    place: str
    starts: str
    ends: str
    cancelled: bool


class ScheduleOut(Out):
    service_point: str
    start: date
    end: date
    visits: list[VisitOut]


class StopCancellationOut(Out):
    service_point: str
    stop: int
    place: str
    date: date
    reason: str
    holds_moved: int = 0  # ready holds for pickup at that visit, moved to the parent branch


# ---- transfers between service points ---------------------------------------------------


class TransferIn(Input):
    device: Code
    to: PointCode


class ReceiveIn(Input):
    device: Code
    at: PointCode | None = None  # where it was scanned in (None: its destination)


class TransferOut(Out):
    id: int
    device: str
    kind: str
    from_point: str
    to_point: str
    status: str
    sent_at: datetime  # in the destination's time zone
    sent_by: str
    received_at: datetime | None
    received_by: str | None


class TransferList(Page[TransferOut]):
    items: list[TransferOut]


class ReceivedOut(Out):
    transfer: TransferOut
    device_status: DeviceStatus  # available, or on_hold_shelf for the first waiting patron
    hold_for: str | None  # that patron's card number
