"""Hand-written request and response shapes (msgspec Structs). Requests forbid unknown fields."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

import msgspec
from msgspec import Meta, Struct

from ..circulation import (
    KINDS,
    DeviceStatus,
    FieldError,
    HoldStatus,
    Invalid,
    LoanState,
    PartOutcome,
    ProcessingStatus,
    normalize_code,
)
from ..circulation.codes import Code as ErrorCode
from ..circulation.states import values

Code = Annotated[
    str, Meta(min_length=1, max_length=80, description="barcode or card number, as scanned")
]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
Short = Annotated[str, Meta(min_length=1, max_length=100)]
Text = Annotated[str, Meta(max_length=4000)]
# One of KINDS; spelled out as an enum so the OpenAPI document (and clients) know the values.
Kind = Annotated[Literal[KINDS], Meta(description="device kind")]  # type: ignore[valid-type]
Count = Annotated[int, Meta(ge=0, le=3650)]
Money = Annotated[float, Meta(ge=0, le=1_000_000)]
Pin = Annotated[str, Meta(min_length=4, max_length=12, pattern=r"^[0-9]+$")]
Phone = Annotated[str, Meta(max_length=32)]
Email = Annotated[str, Meta(max_length=254)]
Timezone = Annotated[str, Meta(min_length=1, max_length=64, description="IANA time zone")]
Location = Annotated[str, Meta(max_length=100, description="shelf or area at the branch")]
WifiText = Annotated[str, Meta(max_length=64, description="hotspot Wi-Fi name or password")]


# Ids are 32-bit: a larger one is a 422, never a database error.
MAX_ID = 2**31 - 1


def code(raw: str, field: str) -> str:
    """A barcode or card number as a scanner typed it, cleaned; empty after clean-up → 422."""
    value = normalize_code(raw)
    if not value:
        raise Invalid(FieldError(field, "must not be empty"))
    if len(value) > 64:
        raise Invalid(FieldError(field, "at most 64 characters"))
    return value


class Input(Struct, forbid_unknown_fields=True, kw_only=True):
    def given(self) -> dict[str, Any]:
        """Fields the client actually sent (unset ones are left out)."""
        return {
            f: getattr(self, f)
            for f in self.__struct_fields__
            if getattr(self, f) is not msgspec.UNSET
        }


# ---- requests ---------------------------------------------------------------------------


class TokenRequest(Input):
    # 64: the longest staff username there can be (lending/services/people/staff.py valid_username).
    username: Annotated[str, Meta(min_length=1, max_length=64)] | msgspec.UnsetType = msgspec.UNSET
    password: Annotated[str, Meta(max_length=1024)] | msgspec.UnsetType = msgspec.UNSET
    card_number: Code | msgspec.UnsetType = msgspec.UNSET
    pin: Annotated[str, Meta(max_length=64)] | msgspec.UnsetType = msgspec.UNSET


class BranchIn(Input):
    code: Annotated[str, Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]
    name: Name
    timezone: Timezone | msgspec.UnsetType = msgspec.UNSET


class ClosureIn(Input):
    date: date
    reason: Annotated[str, Meta(max_length=200)] = ""


class DeviceIn(Input):
    barcode: Code
    kind: Kind
    model: Name
    serial_number: Short
    branch: Short
    imei: Annotated[str, Meta(max_length=20)] | None = None
    replacement_cost: Money | None = None
    notes: Text = ""
    location: Location = ""
    wifi_name: WifiText | None = None  # hotspots: printed on the label when set
    wifi_password: WifiText | None = None
    acquired_on: date | None = None  # when the library got it (reports count from then)


class DevicePatch(Input):
    kind: Kind | msgspec.UnsetType = msgspec.UNSET
    model: Name | msgspec.UnsetType = msgspec.UNSET
    serial_number: Short | msgspec.UnsetType = msgspec.UNSET
    imei: Annotated[str, Meta(max_length=20)] | None | msgspec.UnsetType = msgspec.UNSET
    branch: Short | msgspec.UnsetType = msgspec.UNSET
    status: Annotated[str, Meta(max_length=32)] | msgspec.UnsetType = msgspec.UNSET
    replacement_cost: Money | msgspec.UnsetType = msgspec.UNSET
    notes: Text | msgspec.UnsetType = msgspec.UNSET
    needs_label: bool | msgspec.UnsetType = msgspec.UNSET
    location: Location | msgspec.UnsetType = msgspec.UNSET
    barcode: Code | msgspec.UnsetType = msgspec.UNSET  # re-barcoding flags needs_label
    wifi_name: WifiText | None | msgspec.UnsetType = msgspec.UNSET
    wifi_password: WifiText | None | msgspec.UnsetType = msgspec.UNSET
    acquired_on: date | None | msgspec.UnsetType = msgspec.UNSET


class PatronIn(Input):
    card_number: Code
    name: Name
    email: Email | None = None
    phone: Phone | None = None
    language: Literal["en", "es"] = "en"
    household: Annotated[str, Meta(max_length=64)] | None = None
    branch: Short | None = None
    expires_on: date | None = None
    blocked: bool = False
    block_reason: Annotated[str, Meta(max_length=500)] | None = None
    pin: Pin | None = None


class PatronPatch(Input):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    email: Email | None | msgspec.UnsetType = msgspec.UNSET
    phone: Phone | None | msgspec.UnsetType = msgspec.UNSET
    language: Literal["en", "es"] | msgspec.UnsetType = msgspec.UNSET
    household: Annotated[str, Meta(max_length=64)] | None | msgspec.UnsetType = msgspec.UNSET
    branch: Short | None | msgspec.UnsetType = msgspec.UNSET
    expires_on: date | None | msgspec.UnsetType = msgspec.UNSET
    blocked: bool | msgspec.UnsetType = msgspec.UNSET
    block_reason: Annotated[str, Meta(max_length=500)] | None | msgspec.UnsetType = msgspec.UNSET
    pin: Pin | msgspec.UnsetType = msgspec.UNSET


class PolicyIn(Input):
    kind: Annotated[str, Meta(max_length=32, description="must equal the path's kind")] | (
        msgspec.UnsetType
    ) = msgspec.UNSET
    loan_days: Count | msgspec.UnsetType = msgspec.UNSET
    renewal_days: Count | msgspec.UnsetType = msgspec.UNSET
    max_renewals: Count | msgspec.UnsetType = msgspec.UNSET
    auto_renew: bool | msgspec.UnsetType = msgspec.UNSET
    max_active_loans_per_patron: Count | msgspec.UnsetType = msgspec.UNSET
    max_active_loans_per_household: Count | msgspec.UnsetType = msgspec.UNSET
    hold_pickup_days: Count | msgspec.UnsetType = msgspec.UNSET
    reminder_days_before_due: Count | msgspec.UnsetType = msgspec.UNSET
    overdue_notice_days: (
        Annotated[list[Annotated[int, Meta(ge=1, le=3650)]], Meta(max_length=20)]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    suspend_line_after_days: Count | msgspec.UnsetType = msgspec.UNSET
    lost_after_days: Count | msgspec.UnsetType = msgspec.UNSET
    overdue_blocks_checkout: (
        Annotated[
            Literal["off", "patron", "household"],
            Meta(description="whose overdue loans refuse a checkout of this kind"),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    overdue_blocks_checkout_after_days: (
        Annotated[int, Meta(ge=0, le=3650, description="0: any overdue loan")] | msgspec.UnsetType
    ) = msgspec.UNSET
    staff_may_renew_overdue: bool | msgspec.UnsetType = msgspec.UNSET
    resident_may_renew_overdue: bool | msgspec.UnsetType = msgspec.UNSET


class CheckoutIn(Input):
    patron: Code
    device: Code
    # Where the desk is (a service point's code). A loan from a bookmobile or mobile lab is due
    # on a day the vehicle is back at the stop. Absent: the device's branch.
    service_point: (
        Annotated[str, Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")] | None
    ) = None
    # The partner program it is lent under. Absent: the program whose stock the device is in,
    # else the patron's only program that lends the kind, else none.
    program: (
        Annotated[str, Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")] | None
    ) = None


PartRef = Annotated[str, Meta(min_length=1, max_length=100, description="part id, name or barcode")]
PartRefs = Annotated[list[PartRef], Meta(max_length=50)]


class CheckinIn(Input):
    device: Code
    # Optional: kit parts that came back missing or damaged (charged to the loan), and damage
    # to the device itself (sends it to repair with a maintenance record).
    missing_parts: PartRefs = []
    damaged_parts: PartRefs = []
    damage: Annotated[str, Meta(min_length=1, max_length=2000)] | None = None


class HoldIn(Input):
    patron: Code
    kind: Kind
    branch: Short
    # A service point of that branch where the patron collects it (a bookmobile, a partner
    # site). Absent: the branch's own desk.
    pickup_point: (
        Annotated[str, Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")] | None
    ) = None


class MyHoldIn(Input):
    kind: Kind
    branch: Short


class StaffIn(Input):
    username: Annotated[str, Meta(min_length=1, max_length=64)]
    role: Literal["admin", "desk", "partner"]
    password: Annotated[str, Meta(min_length=8, max_length=1024)]
    # A partner account's partner organisation (its code); other roles take none.
    partner: Annotated[str, Meta(min_length=1, max_length=32)] | None = None


class StaffPatch(Input):
    active: bool


class StaffPasswordIn(Input):
    password: Annotated[str, Meta(min_length=8, max_length=1024)]


# ---- responses --------------------------------------------------------------------------


class Out(Struct, kw_only=True):
    pass


T = TypeVar("T")


class Page(Out, Generic[T]):
    """The list envelope, {"items": [...], "total": N}: `total` counts every match, `items` is
    the page asked for. Each list below names its item type (the OpenAPI document shows it)."""

    items: list[T]
    total: int


class TokenOut(Out):
    access_token: str
    token_type: Literal["Bearer"]
    role: Literal["admin", "desk", "resident", "partner"]
    expires_at: datetime


class HealthOut(Out):
    status: str
    database: str


class ClosureOut(Out):
    date: date
    reason: str


class BranchOut(Out):
    code: str
    name: str
    timezone: str
    closures: list[ClosureOut]


class BranchClosureOut(Out):
    branch: str
    date: date
    reason: str


class LoanOut(Out):
    id: int
    device: str
    patron: str | None
    branch: str
    kind: str
    checked_out_at: datetime
    due_at: datetime
    renewals: int
    status: LoanState
    returned_at: datetime | None
    service_point: str | None = None  # where it was lent, when the desk named a service point
    program: str | None = None  # the partner program it was lent under
    reservation: int | None = None  # lent to this reservation's event
    shortened_for: int | None = None  # due early: its device is needed by this reservation


class LineBriefOut(Out):
    iccid: str
    phone_number: str
    carrier: str
    status: str


class CheckinLineOut(LineBriefOut):
    restore_queued: bool


class DeviceOut(Out):
    barcode: str
    kind: str
    model: str
    serial_number: str
    imei: str | None
    branch: str
    status: DeviceStatus
    replacement_cost: float
    notes: str
    needs_label: bool
    current_loan: LoanOut | None
    line: LineBriefOut | None = None  # the carrier line (SIM) installed in the device
    location: str = ""  # shelf or area at the branch ("" = anywhere)
    last_seen_at: datetime | None = None  # last checkin or shelf-audit scan
    wifi_name: str | None = None  # hotspots: Wi-Fi name and password printed on the label
    wifi_password: str | None = None
    acquired_on: date | None = None  # when the library got it


class HoldOut(Out):
    id: int
    patron: str | None
    kind: str
    branch: str
    status: HoldStatus
    position: int | None
    device: str | None
    ready_until: datetime | None
    placed_at: datetime
    pickup_point: str | None = None  # where it is collected (None: the branch's own desk)


class PatronSummaryOut(Out):
    card_number: str
    name: str
    email: str | None
    phone: str | None
    language: str
    household: str | None
    branch: str | None
    expires_on: date | None
    blocked: bool
    block_reason: str | None


class PatronOut(PatronSummaryOut):
    """A patron with their open loans and holds."""

    loans: list[LoanOut]
    holds: list[HoldOut]


class PolicyOut(Out):
    kind: str
    loan_days: int
    renewal_days: int
    max_renewals: int
    auto_renew: bool
    max_active_loans_per_patron: int
    max_active_loans_per_household: int
    hold_pickup_days: int
    reminder_days_before_due: int
    overdue_notice_days: list[int]
    suspend_line_after_days: int
    lost_after_days: int
    overdue_blocks_checkout: str
    overdue_blocks_checkout_after_days: int
    staff_may_renew_overdue: bool
    resident_may_renew_overdue: bool


class ChargeBriefOut(Out):
    id: int
    kind: str
    amount: float
    status: str  # a ChargeStatus


class KitItemOut(Out):
    """A kit part on a loan's checklist."""

    part: int
    name: str
    barcode: str | None
    replacement_cost: float
    outcome: Literal[values(*PartOutcome)]  # type: ignore[valid-type]
    checked_at: datetime | None
    checked_by: str | None
    charge: ChargeBriefOut | None


class ProcessingStepOut(Out):
    name: str
    done: bool
    done_at: datetime | None
    done_by: str | None


class ProcessingOut(Out):
    id: int
    status: Literal[values(*ProcessingStatus)]  # type: ignore[valid-type]
    loan: int | None
    started_at: datetime
    finished_at: datetime | None
    finished_by: str | None
    steps: list[ProcessingStepOut]
    steps_left: list[str]


class MaintenanceOut(Out):
    id: int
    device: str | None
    opened_at: datetime
    opened_by: str
    problem: str
    cost: float
    resolution: str | None
    resolved_at: datetime | None
    resolved_by: str | None


class ShortenedOut(Out):
    """A walk-up loan due early because a reservation needs the device (tell the patron)."""

    reservation: int
    event: str
    starts_at: datetime  # when the reservation starts (the loan is due the buffer before)
    due_at_otherwise: datetime  # the policy's due date


class SetAsideOut(Out):
    """A checked-in device now set aside for a reservation: put it with the event's devices."""

    reservation: int
    event: str
    starts_at: datetime
    service_point: str


class LoanReply(Out):
    loan: LoanOut
    kit: list[KitItemOut] | msgspec.UnsetType = msgspec.UNSET  # checkout: the parts that went out
    shortened: ShortenedOut | None = None
    line_restore_queued: bool = False  # a hotspot lent with its line suspended: restore queued


class CheckinReply(Out):
    loan: LoanOut
    device: DeviceOut
    hold: HoldOut | None
    line: CheckinLineOut | None = None  # the device's line, and whether its restore is queued
    kit: list[KitItemOut] = []  # the loan's kit checklist, with each part's outcome
    processing: ProcessingOut | None = None  # the return-to-service run the checkin started
    repair: MaintenanceOut | None = None  # the repair opened for reported damage
    # A lost device came back: how many of its loan's open charges were waived.
    charges_waived: int | msgspec.UnsetType = msgspec.UNSET
    set_aside: SetAsideOut | None = None  # set aside for a reservation about to start


class EventOut(Out):
    at: datetime
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    request_id: str | None = None  # the request (X-Request-ID) or SIP2 message that made it


class StaffOut(Out):
    username: str
    role: str
    active: bool
    partner: str | None = None


class BranchList(Page[BranchOut]):
    items: list[BranchOut]


class DeviceList(Page[DeviceOut]):
    items: list[DeviceOut]


class PatronList(Page[PatronSummaryOut]):
    items: list[PatronSummaryOut]


class PolicyList(Page[PolicyOut]):
    items: list[PolicyOut]


class LoanList(Page[LoanOut]):
    items: list[LoanOut]


class HoldList(Page[HoldOut]):
    items: list[HoldOut]


class EventList(Page[EventOut]):
    items: list[EventOut]


class StaffList(Page[StaffOut]):
    items: list[StaffOut]


class FieldErrorOut(Out):
    field: str
    message: str


class ProblemOut(Out):
    type: str
    title: str
    status: int
    detail: str
    code: ErrorCode  # the registry (lending/circulation/codes.py): the schema lists every code
    errors: list[FieldErrorOut] | msgspec.UnsetType = msgspec.UNSET
    # The X-Request-ID of the response: the same id is in the logs and the audit trail.
    request_id: str | msgspec.UnsetType = msgspec.UNSET
