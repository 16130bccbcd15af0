"""Partner programs: partners, programs, enrolments, training, agreements and the program
reports, as request and reply shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from ..circulation.programs import EnrolmentMethod, SignatureKind
from .base import Code, Input, Kind, Name, Out, Page

ProgramCode = Annotated[str, Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]
PointCode = ProgramCode
Days = Annotated[int, Meta(ge=1, le=3650)]
Limit = Annotated[int, Meta(ge=0, le=100_000)]
Hours = Annotated[float, Meta(ge=0, le=1000)]
Version = Annotated[str, Meta(min_length=1, max_length=32)]
Funder = Annotated[str, Meta(max_length=200)]
Method = Annotated[
    Literal[tuple(m.value for m in EnrolmentMethod)],  # type: ignore[misc]
    Meta(description="housing_lease, school, caseworker_referral or self_attestation"),
]
Signature = Annotated[
    Literal[tuple(k.value for k in SignatureKind)],  # type: ignore[misc]
    Meta(description="typed (a typed name) or drawn (an SVG path drawn on the desk screen)"),
]
# A typed name, or the path data of a drawing (M/L commands), kept as it was signed.
SignatureText = Annotated[str, Meta(min_length=1, max_length=20_000)]
Month = Annotated[str, Meta(pattern=r"^[0-9]{4}-[0-9]{2}$", description="YYYY-MM")]


class PartnerIn(Input):
    code: ProgramCode
    name: Name


class PartnerOut(Out):
    code: str
    name: str


class PartnerList(Page[PartnerOut]):
    items: list[PartnerOut]


class TermsIn(Input):
    """A program's terms for one kind; a field left out is the kind's policy."""

    loan_days: Days | None = None
    renewal_days: Days | None = None
    max_renewals: Annotated[int, Meta(ge=0, le=100)] | None = None
    household_limit: Annotated[int, Meta(ge=1, le=100)] | None = None
    quota: Limit | None = None


class TermsOut(Out):
    kind: str
    loan_days: int | None
    renewal_days: int | None
    max_renewals: int | None
    household_limit: int | None
    quota: int | None


class ProgramIn(Input):
    code: ProgramCode
    name: Name
    starts_on: date
    kinds: Annotated[list[Kind], Meta(min_length=1, max_length=10)]
    partners: Annotated[list[ProgramCode], Meta(max_length=20)] = []
    funder: Funder = ""
    ends_on: date | None = None
    points: Annotated[list[PointCode], Meta(max_length=100)] = []  # empty: any service point
    training_hours: Hours = 0.0
    agreement_version: Version | None = None  # None: no agreement required
    agreement_expires_on: date | None = None  # None: a year from signing
    attestation_required: bool = False
    terms: Annotated[dict[Kind, TermsIn], Meta(max_length=10)] = {}


class ProgramPatch(Input):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    starts_on: date | msgspec.UnsetType = msgspec.UNSET
    ends_on: date | None | msgspec.UnsetType = msgspec.UNSET
    kinds: Annotated[list[Kind], Meta(min_length=1, max_length=10)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    partners: Annotated[list[ProgramCode], Meta(max_length=20)] | msgspec.UnsetType = msgspec.UNSET
    funder: Funder | msgspec.UnsetType = msgspec.UNSET
    points: Annotated[list[PointCode], Meta(max_length=100)] | msgspec.UnsetType = msgspec.UNSET
    training_hours: Hours | msgspec.UnsetType = msgspec.UNSET
    agreement_version: Version | None | msgspec.UnsetType = msgspec.UNSET
    agreement_expires_on: date | None | msgspec.UnsetType = msgspec.UNSET
    attestation_required: bool | msgspec.UnsetType = msgspec.UNSET
    terms: Annotated[dict[Kind, TermsIn], Meta(max_length=10)] | msgspec.UnsetType = msgspec.UNSET


class ProgramOut(Out):
    code: str
    name: str
    funder: str
    starts_on: date
    ends_on: date | None
    kinds: list[str]
    partners: list[str]
    points: list[str]
    training_hours: float
    agreement_version: str | None
    agreement_expires_on: date | None
    attestation_required: bool
    terms: list[TermsOut]
    stock: int  # devices assigned to the program
    enrolled: int


class ProgramList(Page[ProgramOut]):
    items: list[ProgramOut]


class StockIn(Input):
    devices: Annotated[list[Code], Meta(min_length=1, max_length=1000)]


class StockOut(Out):
    program: str
    assigned: list[str]
    stock: int


class EnrolmentIn(Input):
    patron: Code
    method: Method
    verified_on: date | None = None  # None: today
    expires_on: date | None = None  # None: the program's end
    attested: bool = False  # the household would otherwise lack internet access


class EnrolmentPatch(Input):
    expires_on: date | None | msgspec.UnsetType = msgspec.UNSET
    attested: bool | msgspec.UnsetType = msgspec.UNSET
    method: Method | msgspec.UnsetType = msgspec.UNSET
    verified_on: date | msgspec.UnsetType = msgspec.UNSET


class AgreementOut(Out):
    version: str
    signature_kind: str
    signed_at: datetime
    expires_on: date
    recorded_by: str


class EnrolmentOut(Out):
    program: str
    patron: str
    name: str
    household: str | None
    method: str
    verified_by: str
    verified_on: date
    expires_on: date | None
    attested: bool
    attested_on: date | None
    training_hours: float
    agreement: AgreementOut | None
    # What a checkout under the program would say now: None, or the refusal code.
    ready: bool
    refusal: str | None


class EnrolmentList(Page[EnrolmentOut]):
    items: list[EnrolmentOut]


class AgreementIn(Input):
    patron: Code
    signature_kind: Signature
    signature: SignatureText


class SessionIn(Input):
    topic: Name
    starts_at: datetime
    hours: Annotated[float, Meta(gt=0, le=24)]
    capacity: Annotated[int, Meta(ge=1, le=1000)]
    service_point: PointCode | None = None


class SessionOut(Out):
    id: int
    program: str
    topic: str
    starts_at: datetime
    hours: float
    capacity: int
    service_point: str | None
    signed_up: int
    attended: int


class SessionList(Page[SessionOut]):
    items: list[SessionOut]


class AttendeeIn(Input):
    patron: Code  # the card, as scanned


class AttendanceOut(Out):
    session: int
    patron: str
    signed_up_at: datetime
    attended_at: datetime | None
    training_hours: float  # the patron's hours in the program now


# ---- reports ----------------------------------------------------------------------------

Count = int | str  # a number, or "<5" where small counts are suppressed


class ProgramReportRow(Out):
    program: str
    service_point: str | None  # None: the program as a whole
    month: str
    households: Count
    loans: Count
    loan_days: Count
    devices: Count  # program devices (stock or quota) of its kinds
    in_use_share: float | None  # devices on loan at the month's end / devices
    renewals: Count
    overdue: Count
    lost: Count
    sessions: Count
    attendance: Count
    training_hours: float


class ProgramReport(Out):
    month: str
    suppressed: bool  # small counts shown as "<5"
    rows: list[ProgramReportRow]


class InventoryRow(Out):
    """The funder's inventory fields for one loan (former FCC ECF): no names."""

    program: str
    device_type: str
    make_model: str
    serial_number: str
    borrower: str  # the enrolment's reference, never a name or card
    checked_out_on: date
    returned_on: date | None
    attested: bool
    attested_on: date | None


class InventoryExport(Out):
    program: str
    rows: list[InventoryRow]
