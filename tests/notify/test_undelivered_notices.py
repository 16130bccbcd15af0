"""Notices that cannot go out are never silent (issue 12, point 1): a delivery run without
email/SMS set up is recorded failing with what to set, those patrons are on the call list, the
notice queue shows why and can re-queue, and the local outbox writes each message as a file."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from lending.circulation import Conflict
from lending.jobs import run_job
from lending.services.actors import Actor
from lending.services.notices.call_list import list_call_list, mark_called
from lending.services.notices.queue_view import list_notices, notice_health, resend_notice
from lending.settings import Settings
from lending.tables import Event, JobRun, Notice

COORDINATOR = Actor("coordinator", "admin")
REMINDER_DAY = datetime(2026, 12, 20, 16, 0, tzinfo=UTC)  # two days before a hotspot is due


async def remind(clock):
    clock.now = REMINDER_DAY
    reply = await run_job("due_soon", clock.now, Settings(timezone="America/Chicago"))
    return reply.summary["queued"]


@pytest.fixture
def no_email(base_settings):
    """No SMTP server and no SMS gateway: nothing can reach a patron."""
    return replace(base_settings, smtp_host="", sms_webhook_url="")


async def reminder_for_ana(seed, clock):
    await seed.contact("P001", email="ana@example.org")
    await seed.checkout("P001", "DEV001")
    assert await remind(clock) == 1


async def test_delivery_run_without_email_set_up_is_recorded_failing_with_what_to_set(
    seed, clock, no_email
):
    await reminder_for_ana(seed, clock)

    reply = await run_job("deliver_notices", clock.now, no_email)

    assert reply.summary["not_set_up"] == 1 and reply.summary["sent"] == 0
    assert "1 notice waiting" in reply.error and "LENDING_SMTP_HOST" in reply.error
    [run] = await JobRun.select().where(JobRun.job == "deliver_notices")
    assert run["error"] == reply.error and run["finished_at"] is not None
    [notice] = await Notice.select()
    assert notice["status"] == "pending" and "LENDING_SMTP_HOST" in notice["last_error"]


async def test_delivery_run_with_nothing_to_send_is_ok_even_without_email(seed, clock, no_email):
    reply = await run_job("deliver_notices", clock.now, no_email)

    assert reply.error is None
    [run] = await JobRun.select().where(JobRun.job == "deliver_notices")
    assert run["error"] == ""


async def test_patron_whose_email_is_not_set_up_is_on_the_call_list_until_called(
    seed, clock, no_email, base_settings
):
    await reminder_for_ana(seed, clock)
    await run_job("deliver_notices", clock.now, no_email)

    page = await list_call_list(50, 0, settings=no_email, now=clock.now)

    assert page.total == 1
    [item] = page.items
    assert item.patron == "P001" and item.name == "Ana" and item.kind == "due_soon"
    assert "DEV001" in item.body and "LENDING_SMTP_HOST" in item.note
    # Once email is set up the notice goes out by email, so nobody needs to call.
    with_email = replace(base_settings, smtp_port=2525)
    assert (await list_call_list(50, 0, settings=with_email, now=clock.now)).total == 0

    done = await mark_called(item.id, COORDINATOR, clock.now, settings=no_email)

    assert done.status == "sent" and done.channel == "call"
    assert (await list_call_list(50, 0, settings=no_email, now=clock.now)).total == 0
    [event] = await Event.select().where(Event.action == "notice_called")
    assert event["actor"] == "coordinator" and event["patron_card"] == "P001"


async def test_warning_counts_the_notices_waiting_and_names_the_settings(seed, clock, no_email):
    await reminder_for_ana(seed, clock)

    health = await notice_health(no_email)

    assert health.alarm and health.waiting == 1 and health.in_outbox == 0
    assert any("LENDING_SMTP_HOST" in p for p in health.problems)
    assert any("LENDING_SMS_WEBHOOK_URL" in p for p in health.problems)


async def test_resend_requeues_a_failed_notice_and_is_audited(seed, clock, no_email):
    await reminder_for_ana(seed, clock)
    [notice] = await Notice.select()
    with pytest.raises(Conflict):  # pending: nothing to send again
        await resend_notice(notice["id"], COORDINATOR, clock.now, timezone="America/Chicago")
    await Notice.update(
        {Notice.status: "failed", Notice.attempts: 8, Notice.last_error: "SMTP error: 550"}
    ).where(Notice.id == notice["id"])
    [failed] = (await list_notices("America/Chicago", state="failed", card="P001")).items
    assert failed.why == "SMTP error: 550" and failed.resendable

    again = await resend_notice(notice["id"], COORDINATOR, clock.now, timezone="America/Chicago")

    assert again.state == "pending" and again.channel == "email"
    [row] = await Notice.select()
    assert row["status"] == "pending" and row["attempts"] == 0 and row["last_error"] == ""
    assert row["next_attempt_at"] == clock.now
    [event] = await Event.select().where(Event.action == "notice_requeued")
    assert event["actor"] == "coordinator" and event["patron_card"] == "P001"
    assert (await list_notices("America/Chicago", state="failed")).total == 0


async def test_notice_queue_filters_by_status_and_patron_card(seed, clock, no_email):
    await reminder_for_ana(seed, clock)

    assert (await list_notices("America/Chicago", state="pending")).total == 1
    assert (await list_notices("America/Chicago", card="P001")).total == 1
    assert (await list_notices("America/Chicago", card="P002")).total == 0
    assert (await list_notices("America/Chicago", state="sent")).total == 0


async def test_outbox_writes_each_message_as_a_file_and_still_warns(
    seed, clock, no_email, tmp_path
):
    outbox = replace(no_email, outbox_dir=str(tmp_path / "outbox"))
    await reminder_for_ana(seed, clock)

    reply = await run_job("deliver_notices", clock.now, outbox)

    assert reply.summary["outbox"] == 1 and reply.summary["messages"] == 1
    assert "local outbox" in reply.error  # the patron was not told: still failing
    [path] = (tmp_path / "outbox").iterdir()
    text = path.read_text()
    assert "To: ana@example.org" in text and "DEV001" in text and "not sent" in text
    [notice] = await Notice.select()
    assert notice["status"] == "sent" and notice["channel"] == "outbox"
    assert path.name in notice["last_error"]
    [shown] = (await list_notices("America/Chicago", state="outbox")).items
    assert shown.state_label == "Local outbox only" and "DEV001" in shown.body
    health = await notice_health(outbox)
    assert health.alarm and health.in_outbox == 1 and health.outbox_dir
    # Nobody told Ana: she is on the call list too.
    assert (await list_call_list(50, 0, settings=outbox, now=clock.now)).total == 1


async def test_call_list_api_has_the_patrons_whose_email_is_not_set_up(seed, clock, api):
    # The app under test has no SMTP server or SMS gateway set up.
    await reminder_for_ana(seed, clock)
    await seed.relogin()

    r = await api.client.get("/api/notices/calls", headers=api.headers["desk"])

    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    assert item["patron"] == "P001" and "LENDING_SMTP_HOST" in item["note"]
    r = await api.client.post(f"/api/notices/{item['id']}/called", headers=api.headers["desk"])
    assert r.status_code == 200, r.text
    assert r.json()["channel"] == "call"
