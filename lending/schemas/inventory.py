"""Request and response shapes of shelf audits, kits, return to service and maintenance."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import UNSET, Meta, UnsetType

from ..circulation import PartStatus, ShelfAuditStatus
from ..circulation.inventory import AUDIT_LISTS
from ..circulation.states import values
from .base import (
    Code,
    HoldOut,
    Input,
    KitItemOut,
    LoanOut,
    Location,
    MaintenanceOut,
    Money,
    Out,
    PartRefs,
    ProcessingOut,
    Short,
)

PartName = Annotated[str, Meta(min_length=1, max_length=100)]
Problem = Annotated[str, Meta(min_length=1, max_length=2000)]
PartStatusName = Literal[values(*PartStatus)]  # type: ignore[valid-type]
StepNames = Annotated[list[Annotated[str, Meta(max_length=200)]], Meta(max_length=50)]

# ---- requests ---------------------------------------------------------------------------


class AuditIn(Input):
    branch: Short
    location: Location | None = None  # one shelf or area; leave out for the whole branch


class ScanIn(Input):
    barcode: Code


class AuditCloseIn(Input):
    mark_missing_lost: bool = False
    reason: Annotated[str, Meta(max_length=500)] | None = None  # required to mark lost


class KitPartIn(Input):
    name: PartName
    replacement_cost: Money = 0
    barcode: Code | None = None


class KitPartPatch(Input):
    name: PartName | UnsetType = UNSET
    replacement_cost: Money | UnsetType = UNSET
    barcode: Code | None | UnsetType = UNSET
    status: PartStatusName | UnsetType = UNSET


class PartOutcomesIn(Input):
    missing: PartRefs = []
    damaged: PartRefs = []
    returned: PartRefs = []  # found after all: back to returned, the charge waived


class StepsIn(Input):
    steps: StepNames


class StepsDoneIn(Input):
    steps: Annotated[
        list[Annotated[str, Meta(min_length=1, max_length=200)]], Meta(min_length=1, max_length=50)
    ]


class RepairIn(Input):
    problem: Problem
    cost: Money | None = None


class RepairResolveIn(Input):
    resolution: Problem
    cost: Money | None = None
    retire: bool = False


# ---- responses --------------------------------------------------------------------------


class AuditOut(Out):
    id: int
    branch: str
    location: str | None
    status: Literal[values(*ShelfAuditStatus)]  # type: ignore[valid-type]
    started_at: datetime
    started_by: str
    closed_at: datetime | None
    closed_by: str | None
    lost_reason: str | None
    counts: dict[str, int]  # found, other_branch, on_loan, unknown, duplicate, missing


class AuditItemDeviceOut(Out):
    barcode: str
    kind: str
    model: str
    status: str
    branch: str
    location: str | None


AuditListName = Literal[AUDIT_LISTS]  # type: ignore[valid-type]


class AuditItemOut(Out):
    barcode: str
    list: AuditListName
    scanned_at: datetime | None
    scanned_by: str | None
    device: AuditItemDeviceOut | None
    loan: int | None  # the open loan's id (on_loan: offer a checkin)


class ScanOut(Out):
    barcode: str
    list: AuditListName
    scanned_at: datetime | None
    scanned_by: str | None
    device: AuditItemDeviceOut | None
    loan: LoanOut | None


class AuditClosedOut(AuditOut):
    missing: list[AuditItemOut]  # the first 500; page on with GET .../items?list=missing


class AuditList(Out):
    items: list[AuditOut]
    total: int


class AuditItemList(Out):
    items: list[AuditItemOut]
    total: int


class NotSeenOut(Out):
    barcode: str
    kind: str
    model: str
    status: str
    branch: str
    location: str | None
    last_seen_at: datetime | None


class NotSeenList(Out):
    items: list[NotSeenOut]
    total: int


class KitPartOut(Out):
    id: int
    name: str
    barcode: str | None
    replacement_cost: float
    status: PartStatusName


class KitPartList(Out):
    items: list[KitPartOut]
    total: int


class LoanKitOut(Out):
    loan: int
    items: list[KitItemOut]
    total: int


class StepsOut(Out):
    kind: str
    steps: list[str]


class DeviceProcessingOut(Out):
    device: str
    status: str
    processing: ProcessingOut | None


class StepsDoneOut(Out):
    device: str
    status: str
    processing: ProcessingOut
    hold: HoldOut | None


class ProcessingQueueItemOut(ProcessingOut):
    device: str
    kind: str
    branch: str


class ProcessingQueue(Out):
    items: list[ProcessingQueueItemOut]
    total: int


class MaintenanceList(Out):
    items: list[MaintenanceOut]
    total: int


class RepairResolvedOut(Out):
    maintenance: MaintenanceOut
    status: str
    hold: HoldOut | None
