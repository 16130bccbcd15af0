"""The webhook carrier gateway against a real local HTTP server, with a pinned clock."""

from __future__ import annotations

from datetime import timedelta

from lending.jobs import run_job
from lending.services.actors import Actor
from lending.services.lines import carrier_actions as carrier
from lending.tables import CarrierAction, Event, ServiceLine

ADMIN = Actor("admin", "admin")


async def _actions(**where):
    query = CarrierAction.select().order_by(CarrierAction.id)
    for name, value in where.items():
        query = query.where(getattr(CarrierAction, name) == value)
    return await query


async def _run(now, settings):
    return (await run_job("carrier_actions", now, settings)).summary


async def test_overdue_hotspot_walks_from_checkout_to_a_suspended_line(
    lines, clock, carrier_server
):
    line = await lines.install("DEV001")
    await lines.checkout("DEV001")
    settings = carrier_server.settings()
    clock.advance(days=24)  # 2 days and 10 hours late: not yet
    assert (await run_job("suspend_lines", clock.now, settings)).summary == {
        "suspensions_queued": 0
    }
    clock.advance(days=1)  # past due + suspend_line_after_days (3)
    assert (await run_job("suspend_lines", clock.now, settings)).summary == {
        "suspensions_queued": 1
    }
    summary = await _run(clock.now, settings)
    assert summary["done"] == 1
    assert await lines.status(line.iccid) == "suspended"
    [request] = carrier_server.requests
    assert request.body == {
        "action": "suspend",
        "iccid": line.iccid,
        "phone_number": "+15550100",
        "carrier": "T-Mobile",
        "request_id": request.body["request_id"],
    }
    assert request.signature_ok and request.timestamp.isdigit()
    events = await Event.select().where(Event.action == "line_suspended")
    assert [(e["actor"], e["subject"]) for e in events] == [("job:carrier_actions", line.iccid)]
    # Queued once: the suspend job does not ask again for the same loan.
    assert (await run_job("suspend_lines", clock.now, settings)).summary == {
        "suspensions_queued": 0
    }


async def test_webhook_failures_are_retried_with_backoff_until_one_succeeds(
    lines, clock, carrier_server
):
    line = await lines.overdue_for_suspension("DEV001")
    carrier_server.fail_first(2)
    settings = carrier_server.settings()
    start = clock.now

    assert (await _run(start, settings))["retries_scheduled"] == 1
    [action] = await _actions()
    assert action["status"] == "pending" and action["attempts"] == 1
    assert "HTTP 500" in action["last_error"]
    assert action["next_attempt_at"] == start + timedelta(minutes=1)

    # Not due yet: nothing is sent.
    await _run(start + timedelta(seconds=59), settings)
    assert len(carrier_server.requests) == 1

    await _run(start + timedelta(minutes=1), settings)  # second attempt fails: wait 2 minutes
    assert len(carrier_server.requests) == 2
    [action] = await _actions()
    assert action["next_attempt_at"] == start + timedelta(minutes=3)
    await _run(start + timedelta(minutes=2), settings)
    assert len(carrier_server.requests) == 2

    summary = await _run(start + timedelta(minutes=3), settings)
    assert summary["done"] == 1
    assert await lines.status(line.iccid) == "suspended"
    [action] = await _actions()
    assert action["status"] == "done" and action["done_by"] == "job:carrier_actions"

    # Later runs send nothing more: exactly one accepted request, all signed, one request id.
    await _run(start + timedelta(hours=2), settings)
    assert [r.status for r in carrier_server.requests] == [500, 500, 200]
    assert len(carrier_server.accepted) == 1
    assert all(r.signature_ok for r in carrier_server.requests)
    assert len({r.body["request_id"] for r in carrier_server.requests}) == 1
    failures = await Event.select().where(Event.action == "carrier_attempt_failed")
    assert len(failures) == 2


async def test_a_line_the_carrier_keeps_refusing_fails_and_can_be_retried(
    lines, clock, carrier_server
):
    line = await lines.overdue_for_suspension("DEV001")
    carrier_server.always(503)
    settings = carrier_server.settings()
    assert settings.carrier_max_attempts == 8

    for attempt in range(1, 9):
        await _run(clock.now, settings)
        assert len(carrier_server.requests) == attempt
        failing = await carrier.list_failing_lines()
        assert failing.total == (1 if attempt >= 3 else 0)
        clock.advance(hours=1)  # the longest backoff

    [action] = await _actions()
    assert action["status"] == "failed" and action["attempts"] == 8
    await _run(clock.now + timedelta(days=1), settings)
    assert len(carrier_server.requests) == 8  # given up: not sent again
    failing = await carrier.list_failing_lines(timezone="America/Chicago")
    assert failing.total == 1
    [item] = failing.items
    assert item.iccid == line.iccid and item.status == "failed"
    assert item.device == "DEV001" and "HTTP 503" in item.last_error
    assert await lines.status(line.iccid) == "active"
    assert len(await Event.select().where(Event.action == "carrier_action_failed")) == 1

    carrier_server.always(200)
    retried = await carrier.retry_action(action["id"], ADMIN, clock.now)
    assert retried.status == "pending" and retried.attempts == 0
    assert (await _run(clock.now, settings))["done"] == 1
    assert await lines.status(line.iccid) == "suspended"
    assert (await carrier.list_failing_lines()).total == 0
    retries = await Event.select().where(Event.action == "carrier_action_retried")
    assert [e["actor"] for e in retries] == ["admin"]


async def test_retrying_an_action_that_is_done_is_refused(lines, clock, carrier_server):
    import pytest

    from lending.circulation import Conflict, NotFound

    await lines.overdue_for_suspension("DEV001")
    await _run(clock.now, carrier_server.settings())
    [action] = await _actions()
    with pytest.raises(Conflict) as refused:
        await carrier.retry_action(action["id"], ADMIN, clock.now)
    assert refused.value.code == "action_not_retryable"
    with pytest.raises(NotFound):
        await carrier.retry_action(action["id"] + 1000, ADMIN, clock.now)


async def test_the_daily_limit_postpones_a_sixth_action_on_one_line(lines, clock, carrier_server):
    line = await lines.install("DEV001")
    [row] = await ServiceLine.select(ServiceLine.id).where(ServiceLine.iccid == line.iccid)
    settings = carrier_server.settings()
    assert settings.carrier_daily_limit == 5
    start = clock.now

    async def queue(action, at):
        await CarrierAction.insert(
            CarrierAction(
                line=row["id"], action=action, status="pending", next_attempt_at=at, created_at=at
            )
        )

    kinds = ["suspend", "restore", "suspend", "restore", "suspend", "restore"]
    for hour, kind in enumerate(kinds[:5]):
        at = start + timedelta(hours=hour)
        await queue(kind, at)
        assert (await _run(at, settings))["done"] == 1
    assert await lines.status(line.iccid) == "suspended"

    sixth_at = start + timedelta(hours=5)
    await queue("restore", sixth_at)
    summary = await _run(sixth_at, settings)
    assert summary["postponed"] == 1 and summary["done"] == 0
    assert len(carrier_server.requests) == 5
    [sixth] = await _actions(status="pending")
    # It waits until the first of the five (done at `start`) leaves the 24-hour window.
    assert sixth["next_attempt_at"] == start + timedelta(hours=24)
    assert (await _run(start + timedelta(hours=23, minutes=59), settings))["done"] == 0
    assert (await _run(start + timedelta(hours=24), settings))["done"] == 1
    assert len(carrier_server.requests) == 6
    assert await lines.status(line.iccid) == "active"


async def test_running_the_job_twice_for_the_same_now_changes_nothing(lines, clock, carrier_server):
    ok = await lines.install("DEV001", phone="+1 555 0100")
    refused = await lines.install("DEV002", phone="+1 555 0101")
    await lines.checkout("DEV001", "P001")
    await lines.checkout("DEV002", "P003")
    clock.advance(days=26)
    await run_job("suspend_lines", clock.now, carrier_server.settings())
    carrier_server.respond = lambda body, n: 200 if body["iccid"] == ok.iccid else 500
    settings = carrier_server.settings()

    first = await _run(clock.now, settings)
    assert first["done"] == 1 and first["retries_scheduled"] == 1

    async def snapshot():
        return (
            await CarrierAction.select().order_by(CarrierAction.id),
            await ServiceLine.select().order_by(ServiceLine.id),
            await Event.count(),
        )

    before = await snapshot()
    second = await _run(clock.now, settings)
    assert second == {
        "done": 0,
        "tasks_created": 0,
        "retries_scheduled": 0,
        "failed": 0,
        "postponed": 0,
    }
    assert await snapshot() == before
    assert len(carrier_server.requests) == 2
    assert await lines.status(refused.iccid) == "active"
