"""Return to service: a kind's steps (laptop: wipe, inspect, charge), the run a checkin starts,
and staff completing each step. When the last is done the device goes to the next waiting
patron's hold shelf or back to `available`; hold assignment waits until then."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from msgspec import structs

from ...circulation import (
    Conflict,
    DeviceStatus,
    FieldError,
    Invalid,
    ProcessingStatus,
)
from ...circulation.codes import Code
from ...circulation.inventory import steps_left, valid_step_names
from ...database import write_transaction
from ...schemas.base import ProcessingOut, ProcessingStepOut
from ...schemas.inventory import (
    DeviceProcessingOut,
    ProcessingQueue,
    ProcessingQueueItemOut,
    StepsDoneOut,
    StepsOut,
)
from ...tables import Processing, ProcessingStep, ServiceStep
from .._common import audit
from .._common.render import local_time
from ..actors import Actor
from ..circulation.holds import hold_view
from ..circulation.lifecycle import move_on
from ..library.policies import valid_kind
from .devices import device_by_barcode, locked_device

__all__ = [
    "complete_steps",
    "current_processing",
    "get_steps",
    "kind_has_steps",
    "list_processing",
    "processing_of_device",
    "put_steps",
    "start_processing",
]


async def get_steps(kind: str) -> StepsOut:
    valid_kind(kind)
    rows = (
        await ServiceStep.select(ServiceStep.name)
        .where(ServiceStep.kind == kind)
        .order_by(ServiceStep.position)
    )
    return StepsOut(kind=kind, steps=[r["name"] for r in rows])


async def put_steps(actor: Actor, now: datetime, kind: str, names: list[str]) -> StepsOut:
    """Replace a kind's steps (an empty list: devices of the kind go straight back into
    service). Devices already in processing keep the steps they started with."""
    valid_kind(kind)
    steps = valid_step_names(names)
    async with write_transaction():
        await ServiceStep.delete().where(ServiceStep.kind == kind)
        if steps:
            await ServiceStep.insert(
                *[ServiceStep(kind=kind, position=i, name=n) for i, n in enumerate(steps, 1)]
            )
        await audit.record(actor, "service_steps_updated", kind, now, {"steps": steps})
    return StepsOut(kind=kind, steps=steps)


async def kind_has_steps(kind: str) -> bool:
    return await ServiceStep.exists().where(ServiceStep.kind == kind)


async def start_processing(device_id: int, loan_id: int | None, now: datetime) -> None:
    """Open a run with the kind's current steps (inside the caller's transaction). The caller
    sets the device `in_processing`; an older open run of the device is cancelled."""
    await Processing.update(
        {Processing.status: ProcessingStatus.CANCELLED, Processing.finished_at: now}
    ).where((Processing.device == device_id) & (Processing.status == ProcessingStatus.OPEN))
    inserted = await Processing.insert(
        Processing(device=device_id, loan=loan_id, status=ProcessingStatus.OPEN, started_at=now)
    ).returning(Processing.id)
    await ProcessingStep.raw(
        "INSERT INTO processing_step (processing, position, name, done_at, done_by) "
        "SELECT {}, s.position, s.name, NULL, '' FROM service_step s "
        "JOIN device d ON d.kind = s.kind WHERE d.id = {}",
        inserted[0]["id"],
        device_id,
    )


async def _run_view(run: dict[str, Any], timezone: str) -> ProcessingOut:
    steps = (
        await ProcessingStep.select()
        .where(ProcessingStep.processing == run["id"])
        .order_by(ProcessingStep.position)
    )
    return ProcessingOut(
        id=run["id"],
        status=ProcessingStatus(run["status"]),
        loan=run["loan"],
        started_at=local_time(run["started_at"], timezone),
        finished_at=local_time(run["finished_at"], timezone),
        finished_by=run["finished_by"] or None,
        steps=[
            ProcessingStepOut(
                name=s["name"],
                done=s["done_at"] is not None,
                done_at=local_time(s["done_at"], timezone),
                done_by=s["done_by"] or None,
            )
            for s in steps
        ],
        steps_left=steps_left([(s["name"], s["done_at"] is not None) for s in steps]),
    )


async def current_processing(device_id: int, timezone: str) -> ProcessingOut | None:
    """The device's open run, or None."""
    run = (
        await Processing.select()
        .where((Processing.device == device_id) & (Processing.status == ProcessingStatus.OPEN))
        .first()
    )
    return await _run_view(run, timezone) if run else None


async def processing_of_device(barcode: str) -> DeviceProcessingOut:
    """The device's open run, else its latest one (null when it never went through one)."""
    device = await device_by_barcode(barcode)
    tz = device["branch_timezone"]
    run = (
        await Processing.select()
        .where(Processing.device == device["id"])
        .order_by(Processing.id, ascending=False)
        .first()
    )
    return DeviceProcessingOut(
        device=barcode,
        status=DeviceStatus(device["status"]),
        processing=await _run_view(run, tz) if run else None,
    )


async def list_processing(
    *, branch: str | None, kind: str | None, limit: int, offset: int
) -> ProcessingQueue:
    """The return-to-service work queue: devices in processing, oldest first."""
    conditions = [Processing.status == ProcessingStatus.OPEN]
    if branch:
        conditions.append(Processing.device.branch.code == branch)
    if kind:
        conditions.append(Processing.device.kind == kind)
    rows = await (
        Processing.select(
            Processing.all_columns(),
            Processing.device.barcode.as_alias("barcode"),
            Processing.device.kind.as_alias("kind"),
            Processing.device.branch.code.as_alias("branch"),
            Processing.device.branch.timezone.as_alias("tz"),
        )
        .where(*conditions)
        .order_by(Processing.started_at)
        .order_by(Processing.id)
        .limit(limit)
        .offset(offset)
    )
    items = [
        ProcessingQueueItemOut(
            device=r["barcode"],
            kind=r["kind"],
            branch=r["branch"],
            **structs.asdict(await _run_view(r, r["tz"])),
        )
        for r in rows
    ]
    return ProcessingQueue(items=items, total=await Processing.count().where(*conditions))


async def complete_steps(
    actor: Actor, now: datetime, barcode: str, names: list[str]
) -> StepsDoneOut:
    """Mark steps done (who and when); steps already done keep their first record. When none
    is left the device goes to the next waiting hold or back to available."""
    async with write_transaction():
        device = await locked_device(barcode)
        run = (
            await Processing.select()
            .where(
                (Processing.device == device["id"]) & (Processing.status == ProcessingStatus.OPEN)
            )
            .first()
        )
        if run is None or device["status"] != DeviceStatus.IN_PROCESSING:
            raise Conflict(f"Device {barcode} is not in processing.", Code.NOT_IN_PROCESSING)
        steps = await ProcessingStep.select().where(ProcessingStep.processing == run["id"])
        by_name = {s["name"].casefold(): s for s in steps}
        errors = [
            FieldError(f"steps[{i}]", f"{n!r} is not a step of this device's processing")
            for i, n in enumerate(names)
            if " ".join(n.split()).casefold() not in by_name
        ]
        if errors:
            raise Invalid(errors)
        chosen = {by_name[" ".join(n.split()).casefold()]["id"] for n in names}
        todo = [s["id"] for s in steps if s["id"] in chosen and s["done_at"] is None]
        if todo:
            await ProcessingStep.update(
                {ProcessingStep.done_at: now, ProcessingStep.done_by: actor.name}
            ).where(ProcessingStep.id.is_in(todo))
        done_now = [s["name"] for s in steps if s["id"] in todo]
        left = [s["name"] for s in steps if s["done_at"] is None and s["id"] not in todo]
        hold = None
        details: dict[str, Any] = {"done": done_now, "left": left}
        if not left:
            await Processing.update(
                {
                    Processing.status: ProcessingStatus.DONE,
                    Processing.finished_at: now,
                    Processing.finished_by: actor.name,
                }
            ).where(Processing.id == run["id"])
            placed = await move_on(actor, now, device, processed=True)
            hold = placed.hold
            details["device_status"] = placed.place.status.value
        await audit.record(actor, "processing_steps_done", barcode, now, details)
        row = await device_by_barcode(barcode)
        run = await Processing.select().where(Processing.id == run["id"]).first()
        view = await _run_view(run, row["branch_timezone"])
    return StepsDoneOut(
        device=barcode,
        status=DeviceStatus(row["status"]),
        processing=view,
        hold=hold_view(hold) if hold else None,
    )
