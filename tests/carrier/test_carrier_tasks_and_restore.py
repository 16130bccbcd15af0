"""The manual gateway's staff tasks, and checkin cancelling suspends or queueing restores."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from lending.carrier import CarrierGateway
from lending.circulation import Conflict, NotFound
from lending.database import write_transaction
from lending.jobs import run_job
from lending.services.actors import Actor
from lending.services.lines import carrier_actions as carrier
from lending.settings import Settings
from lending.tables import CarrierAction, Device, Event, ServiceLine

MANUAL = Settings(timezone="America/Chicago")  # the default gateway is manual
DESK = Actor("desk", "desk")


async def _device_id(barcode: str) -> int:
    row = await Device.select(Device.id).where(Device.barcode == barcode).first()
    return row["id"]


async def _restore_on_checkin(barcode: str, now, actor: str = "desk") -> bool:
    """What the lead's check_in does inside its transaction."""
    async with write_transaction():
        return await carrier.queue_restore(await _device_id(barcode), now, actor)


async def _actions():
    return await CarrierAction.select().order_by(CarrierAction.id)


async def test_manual_gateway_makes_a_staff_task_and_completing_it_suspends_the_line(lines, clock):
    line = await lines.overdue_for_suspension("DEV001")
    summary = (await run_job("carrier_actions", clock.now, MANUAL)).summary
    assert summary["tasks_created"] == 1
    assert await lines.status(line.iccid) == "active"  # nothing happens until staff act

    tasks = await carrier.list_tasks("task", 50, 0, timezone="America/Chicago")
    assert tasks.total == 1
    [task] = tasks.items
    assert task.text == f"Suspend line +1 555 0100 (ICCID {line.iccid}) at T-Mobile"
    assert task.device == "DEV001" and task.status == "task"
    created = await Event.select().where(Event.action == "carrier_task_created")
    assert [(e["actor"], e["subject"]) for e in created] == [("job:carrier_actions", line.iccid)]
    # The task is made once, however often the job runs.
    again = await run_job("carrier_actions", clock.now + timedelta(minutes=5), MANUAL)
    assert again.summary["tasks_created"] == 0

    done = await carrier.complete_task(task.id, DESK, clock.now)
    assert done.status == "done" and done.done_by == "desk"
    assert await lines.status(line.iccid) == "suspended"
    assert (await carrier.list_tasks(None, 50, 0)).total == 0
    assert (await carrier.list_tasks("done", 50, 0)).total == 1
    events = await Event.select().where(Event.action == "line_suspended")
    assert [(e["actor"], e["subject"]) for e in events] == [("desk", line.iccid)]

    with pytest.raises(Conflict) as refused:
        await carrier.complete_task(task.id, DESK, clock.now)
    assert refused.value.code == "task_not_open"
    with pytest.raises(NotFound):
        await carrier.complete_task(task.id + 1000, DESK, clock.now)


async def test_a_returned_hotspot_gets_a_restore_task_with_the_manual_gateway(lines, clock):
    line = await lines.overdue_for_suspension("DEV001")
    await run_job("carrier_actions", clock.now, MANUAL)
    [task] = (await carrier.list_tasks("task", 50, 0)).items
    await carrier.complete_task(task.id, DESK, clock.now)

    await lines.checkin("DEV001")
    assert await _restore_on_checkin("DEV001", clock.now) is True
    await run_job("carrier_actions", clock.now, MANUAL)
    [restore] = (await carrier.list_tasks("task", 50, 0)).items
    assert restore.text == f"Restore line +1 555 0100 (ICCID {line.iccid}) at T-Mobile"
    await carrier.complete_task(restore.id, DESK, clock.now)
    assert await lines.status(line.iccid) == "active"


async def test_listing_tasks_with_an_unknown_status_is_refused(lines):
    from lending.circulation import Invalid

    with pytest.raises(Invalid):
        await carrier.list_tasks("bogus", 50, 0)


async def test_checkin_cancels_a_suspend_not_yet_sent(lines, clock, carrier_server):
    line = await lines.overdue_for_suspension("DEV001")
    await lines.checkin("DEV001")
    assert await _restore_on_checkin("DEV001", clock.now) is False
    [action] = await _actions()
    assert action["action"] == "suspend" and action["status"] == "cancelled"

    summary = (await run_job("carrier_actions", clock.now, carrier_server.settings())).summary
    assert summary["done"] == 0
    assert carrier_server.requests == []
    assert await lines.status(line.iccid) == "active"
    cancelled = await Event.select().where(Event.action == "carrier_action_cancelled")
    assert [(e["actor"], e["subject"]) for e in cancelled] == [("desk", line.iccid)]


async def test_checkin_cancels_an_open_staff_task(lines, clock):
    await lines.overdue_for_suspension("DEV001")
    await run_job("carrier_actions", clock.now, MANUAL)
    await lines.checkin("DEV001")
    assert await _restore_on_checkin("DEV001", clock.now) is False
    assert (await carrier.list_tasks("task", 50, 0)).total == 0
    assert (await carrier.list_tasks("cancelled", 50, 0)).total == 1


async def test_checkin_of_a_suspended_line_queues_a_restore_the_next_run_carries_out(
    lines, clock, carrier_server
):
    line = await lines.overdue_for_suspension("DEV001")
    settings = carrier_server.settings()
    await run_job("carrier_actions", clock.now, settings)
    assert await lines.status(line.iccid) == "suspended"

    clock.advance(days=2)
    await lines.checkin("DEV001")
    assert await _restore_on_checkin("DEV001", clock.now) is True
    [_, restore] = await _actions()
    assert restore["action"] == "restore" and restore["status"] == "pending"
    assert restore["next_attempt_at"] == clock.now

    summary = (await run_job("carrier_actions", clock.now, settings)).summary
    assert summary["done"] == 1
    assert await lines.status(line.iccid) == "active"
    assert [r.body["action"] for r in carrier_server.requests] == ["suspend", "restore"]
    restored = await Event.select().where(Event.action == "line_restored")
    assert [(e["actor"], e["subject"]) for e in restored] == [("job:carrier_actions", line.iccid)]


async def test_a_suspend_that_failed_before_checkin_is_cancelled_and_undone(
    lines, clock, carrier_server
):
    """A failed attempt may still have reached the carrier (a timeout): restore to be safe."""
    line = await lines.overdue_for_suspension("DEV001")
    carrier_server.fail_first(1)
    settings = carrier_server.settings()
    await run_job("carrier_actions", clock.now, settings)
    await lines.checkin("DEV001")
    assert await _restore_on_checkin("DEV001", clock.now) is True
    await run_job("carrier_actions", clock.now + timedelta(minutes=5), settings)
    assert [(r.body["action"], r.status) for r in carrier_server.requests] == [
        ("suspend", 500),
        ("restore", 200),
    ]
    statuses = [(a["action"], a["status"]) for a in await _actions()]
    assert statuses == [("suspend", "cancelled"), ("restore", "done")]
    assert await lines.status(line.iccid) == "active"


class CheckinDuringSend(CarrierGateway):
    """A carrier that accepts everything; while the suspend is in flight the hotspot is
    checked in (in another transaction, as the desk would)."""

    def __init__(self, barcode: str, now) -> None:
        self.barcode = barcode
        self.now = now
        self.sent: list[str] = []
        self.restore_queued: bool | None = None

    async def perform(self, action: dict[str, Any]) -> str:
        if action["action"] == "suspend":
            self.restore_queued = await _restore_on_checkin(self.barcode, self.now)
        self.sent.append(action["action"])
        return "ok"


async def test_checkin_while_a_suspend_is_in_flight_restores_the_line_after_it(lines, clock):
    line = await lines.overdue_for_suspension("DEV001")
    gateway = CheckinDuringSend("DEV001", clock.now)
    summary = await carrier.run_carrier_actions(clock.now, MANUAL, gateway)
    assert gateway.restore_queued is True
    assert gateway.sent == ["suspend", "restore"]  # in that order, never overlapping
    assert summary.done == 2
    assert await lines.status(line.iccid) == "active"
    statuses = [(a["action"], a["status"]) for a in await _actions()]
    assert statuses == [("suspend", "done"), ("restore", "done")]


async def test_checkin_of_a_device_without_a_line_queues_nothing(lines, clock):
    await lines.checkout("DEV002")
    await lines.checkin("DEV002")
    assert await _restore_on_checkin("DEV002", clock.now) is False
    assert await _actions() == []
    assert await ServiceLine.count() == 0
