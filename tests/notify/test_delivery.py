"""Delivering notices to a real SMTP server and a real SMS gateway, on both databases."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from lending.circulation import Conflict
from lending.database import write_transaction
from lending.jobs import run_job
from lending.services.actors import Actor
from lending.services.notices.call_list import list_call_list, mark_called
from lending.services.notices.outbox import queue_notice
from lending.settings import Settings
from lending.tables import Event, Hold, JobRun, Notice, Patron

SETTINGS = Settings(timezone="America/Chicago")  # for the jobs that queue notices
# Hotspots checked out on 2026-12-01 are due Tuesday 2026-12-22; reminders go out two days before.
REMINDER_DAY = datetime(2026, 12, 20, 16, 0, tzinfo=UTC)


async def deliver(clock, settings):
    return (await run_job("deliver_notices", clock.now, settings)).summary


async def remind(clock):
    """Move to two days before the due date and queue the due-soon reminders."""
    clock.now = REMINDER_DAY
    return (await run_job("due_soon", clock.now, SETTINGS)).summary["queued"]


async def notices(**where):
    query = Notice.select().order_by(Notice.id)
    for name, value in where.items():
        query = query.where(getattr(Notice, name) == value)
    return await query


def text(message) -> str:
    return message.get_content().replace("\r\n", "\n")


async def test_reminder_reaches_the_patron_by_email_in_plain_english(
    seed, clock, settings, smtp_server
):
    await seed.contact("P001", email="ana@example.org")
    await seed.checkout("P001", "DEV001")
    assert await remind(clock) == 1

    summary = await deliver(clock, settings)

    assert summary == {
        "sent": 1,
        "failed": 0,
        "retrying": 0,
        "skipped": 0,
        "not_set_up": 0,
        "outbox": 0,
        "messages": 1,
    }
    [message] = smtp_server.messages
    assert message["To"] == "ana@example.org"
    assert "library@example.org" in message["From"]
    assert message["Subject"] == ("Reminder: your hotspot is due Tuesday, December 22 at 11:59 PM")
    body = text(message)
    assert body.startswith("Hello Ana,")
    assert (
        "Your hotspot (Model hotspot, barcode DEV001) is due back on Tuesday, December 22 at 11:59 PM."
        in body
    )
    assert "its internet service will be turned off after Friday, December 25 at 11:59 PM" in body
    assert "https://library.example/renew" in body and "+1 555 0100" in body
    [notice] = await notices(kind="due_soon")
    assert notice["status"] == "sent" and notice["sent_at"] == clock.now
    assert notice["channel"] == "email"
    assert notice["subject"] == message["Subject"] and "DEV001" in notice["body"]


async def test_spanish_speaking_patron_gets_the_reminder_in_spanish(
    seed, clock, settings, smtp_server
):
    await seed.contact("P001", email="ana@example.org", language="es")
    await seed.checkout("P001", "DEV001")
    await remind(clock)

    await deliver(clock, settings)

    [message] = smtp_server.messages
    assert (
        message["Subject"] == "Recordatorio: su hotspot vence el martes 22 de diciembre a las 23:59"
    )
    body = text(message)
    assert body.startswith("Hola, Ana:")
    assert "código de barras DEV001" in body
    assert "se debe devolver el martes 22 de diciembre a las 23:59" in body
    assert "se cortará después del viernes 25 de diciembre a las 23:59" in body
    assert "Para renovar, visite https://library.example/renew o llámenos al +1 555 0100." in body
    assert "Hello" not in body and "PM" not in body


async def test_two_notices_for_one_patron_go_out_as_one_email(seed, clock, settings, smtp_server):
    await seed.contact("P001", email="ana@example.org")
    await seed.checkout("P001", "DEV001")  # hotspot: 21 days, due 2026-12-22
    clock.advance(days=7)
    await seed.relogin()
    await seed.checkout("P001", "DEV004")  # laptop: 14 days, due 2026-12-22 too
    assert await remind(clock) == 2

    summary = await deliver(clock, settings)

    assert summary["messages"] == 1 and summary["sent"] == 2
    [message] = smtp_server.messages
    assert message["Subject"] == (
        "2 notices from Springfield Library: hotspot due soon, laptop due soon"
    )
    body = text(message)
    assert "barcode DEV001" in body and "barcode DEV004" in body
    assert body.count("internet service") == 1  # only the hotspot loses service
    assert body.count("To renew") == 1
    stored = await notices(kind="due_soon")
    assert {n["status"] for n in stored} == {"sent"}
    assert stored[0]["body"] == stored[1]["body"] == body.strip()


async def test_each_notice_is_sent_exactly_once_across_runs(seed, clock, settings, smtp_server):
    await seed.contact("P001", email="ana@example.org")
    await seed.checkout("P001", "DEV001")
    await remind(clock)

    first = await deliver(clock, settings)
    again = await deliver(clock, settings)
    clock.advance(hours=7)
    later = await deliver(clock, settings)

    assert first["sent"] == 1
    assert (
        again
        == later
        == {
            "sent": 0,
            "failed": 0,
            "retrying": 0,
            "skipped": 0,
            "not_set_up": 0,
            "outbox": 0,
            "messages": 0,
        }
    )
    assert len(smtp_server.messages) == 1
    runs = await JobRun.select().where(JobRun.job == "deliver_notices")
    assert len(runs) == 3 and all(r["error"] == "" for r in runs)


async def test_failing_smtp_server_keeps_the_notice_until_it_is_back(
    seed, clock, base_settings, unused_port, start_smtp_server
):
    port = unused_port()  # nothing listens here yet
    settings = replace(base_settings, smtp_port=port)
    await seed.contact("P001", email="ana@example.org")
    await seed.checkout("P001", "DEV001")
    await remind(clock)

    summary = await deliver(clock, settings)

    assert summary == {
        "sent": 0,
        "failed": 0,
        "retrying": 1,
        "skipped": 0,
        "not_set_up": 0,
        "outbox": 0,
        "messages": 0,
    }
    [notice] = await notices(kind="due_soon")
    assert notice["status"] == "pending" and notice["attempts"] == 1
    assert "unreachable" in notice["last_error"]
    assert notice["next_attempt_at"] == clock.now + timedelta(minutes=5)
    # Not due again yet: a run a minute later does not try (or count) it.
    clock.advance(minutes=1)
    assert (await deliver(clock, settings))["retrying"] == 0
    assert (await notices(kind="due_soon"))[0]["attempts"] == 1

    server = start_smtp_server(port)
    clock.advance(minutes=5)
    assert (await deliver(clock, settings))["sent"] == 1
    clock.advance(hours=1)
    assert (await deliver(clock, settings))["sent"] == 0
    [message] = server.messages
    assert "DEV001" in text(message)
    [notice] = await notices(kind="due_soon")
    assert notice["status"] == "sent" and notice["attempts"] == 1 and notice["last_error"] == ""


async def test_notice_is_given_up_after_eight_failed_attempts_with_growing_waits(
    seed, clock, base_settings, unused_port
):
    settings = replace(base_settings, smtp_port=unused_port())
    await seed.contact("P001", email="ana@example.org")
    await seed.checkout("P001", "DEV001")
    await remind(clock)

    waits = []
    for _ in range(8):
        summary = await deliver(clock, settings)
        [notice] = await notices(kind="due_soon")
        if notice["status"] == "pending":
            assert summary["retrying"] == 1
            waits.append(notice["next_attempt_at"] - clock.now)
            clock.now = notice["next_attempt_at"]

    assert [w // timedelta(minutes=1) for w in waits] == [5, 10, 20, 40, 80, 160, 320]
    assert summary["failed"] == 1
    assert notice["status"] == "failed" and notice["attempts"] == 8
    clock.advance(days=1)
    assert (await deliver(clock, settings))["failed"] == 0  # given up: not tried again


async def test_missing_smtp_settings_leave_email_notices_pending_with_the_reason(
    seed, clock, base_settings
):
    settings = replace(base_settings, smtp_host="")
    await seed.contact("P001", email="ana@example.org")
    await seed.checkout("P001", "DEV001")
    await remind(clock)

    summary = await deliver(clock, settings)

    assert summary["sent"] == 0 and summary["not_set_up"] == 1
    [notice] = await notices(kind="due_soon")
    assert notice["status"] == "pending" and notice["attempts"] == 0
    assert "LENDING_SMTP_HOST" in notice["last_error"]


async def test_sms_goes_through_the_gateway_after_a_failed_first_attempt(
    seed, clock, settings, gateway, smtp_server
):
    await seed.contact("P002", phone="+15550123", language="es")
    await seed.checkout("P002", "DEV002")
    await remind(clock)

    first = await deliver(clock, settings)

    assert first["retrying"] == 1 and first["sent"] == 0
    [notice] = await notices(kind="due_soon")
    assert notice["status"] == "pending" and notice["attempts"] == 1
    assert "500" in notice["last_error"]

    clock.advance(minutes=5)
    second = await deliver(clock, settings)

    assert second["sent"] == 1 and second["messages"] == 1
    assert len(gateway.requests) == 2
    [sms] = gateway.delivered
    assert sms["to"] == "+15550123"
    assert "DEV002" in sms["body"] and "martes 22 de diciembre a las 23:59" in sms["body"]
    assert gateway.headers[-1]["Authorization"] == "Bearer gateway-token"
    [notice] = await notices(kind="due_soon")
    assert notice["status"] == "sent" and notice["channel"] == "sms"
    assert smtp_server.messages == []
    clock.advance(hours=1)
    assert (await deliver(clock, settings))["sent"] == 0
    assert len(gateway.requests) == 2


async def test_overdue_hotspot_notice_says_how_late_and_when_service_stops(
    seed, clock, settings, smtp_server
):
    await seed.contact("P001", email="ana@example.org")
    await seed.checkout("P001", "DEV001")
    clock.advance(days=23)  # Thursday 2026-12-24: a day and some hours late
    assert (await run_job("overdue", clock.now, SETTINGS)).summary["queued"] == 1

    await deliver(clock, settings)

    [message] = smtp_server.messages
    assert message["Subject"] == "Overdue: please return your hotspot DEV001"
    body = text(message)
    assert "was due back on Tuesday, December 22 at 11:59 PM and is now 1 day late" in body
    assert "turned off after Friday, December 25 at 11:59 PM" in body
    assert "it will be marked lost and you will be charged $100.00" in body


async def test_notice_about_a_device_returned_before_delivery_is_not_sent(
    seed, clock, settings, smtp_server
):
    await seed.contact("P001", email="ana@example.org")
    await seed.checkout("P001", "DEV001")
    await remind(clock)
    await seed.checkin("DEV001")

    summary = await deliver(clock, settings)

    assert summary["skipped"] == 1 and summary["messages"] == 0
    assert smtp_server.messages == []
    [notice] = await notices(kind="due_soon")
    assert notice["status"] == "failed" and "returned" in notice["last_error"]


async def test_patron_without_email_or_phone_is_on_the_call_list_until_staff_call(
    seed, clock, settings, smtp_server
):
    await seed.checkout("P003", "DEV003")  # Cy has neither email nor phone
    await remind(clock)

    summary = await deliver(clock, settings)

    assert summary["messages"] == 0 and smtp_server.messages == []
    page = await list_call_list(50, 0, settings=settings, now=clock.now)
    assert page.total == 1
    [item] = page.items
    assert item.patron == "P003" and item.name == "Cy" and item.kind == "due_soon"
    assert "Tuesday, December 22 at 11:59 PM" in item.body and "DEV003" in item.body

    done = await mark_called(item.id, Actor("desk", "desk"), clock.now, settings=settings)

    assert done.status == "sent"
    assert (await list_call_list(50, 0, settings=settings, now=clock.now)).total == 0
    [notice] = await notices(kind="due_soon")
    assert notice["status"] == "sent" and notice["channel"] == "call"
    [event] = await Event.select().where(Event.action == "notice_called")
    assert event["actor"] == "desk" and event["patron_card"] == "P003"
    with pytest.raises(Conflict):
        await mark_called(item.id, Actor("desk", "desk"), clock.now, settings=settings)


async def test_hold_ready_notice_tells_the_patron_where_and_until_when(
    seed, api, clock, settings, smtp_server
):
    await seed.contact("P003", email="cy@example.org", language="es")
    await seed.checkout("P001", "DEV001")
    r = await api.client.post(
        "/api/holds",
        json={"patron": "P003", "kind": "hotspot", "branch": "MAIN"},
        headers=api.headers["desk"],
    )
    assert r.status_code == 201, r.text
    hold = (await seed.checkin("DEV001"))["hold"]
    assert hold["status"] == "ready"
    if not await Notice.exists().where(Notice.kind == "hold_ready"):
        patron = await Patron.select(Patron.id).where(Patron.card_number == "P003").first()
        async with write_transaction():
            await queue_notice(
                "hold_ready", clock.now, patron_id=patron["id"], stage="ready", hold=hold["id"]
            )
    row = await Hold.select(Hold.ready_until).where(Hold.id == hold["id"]).first()
    assert row["ready_until"] is not None

    await deliver(clock, settings)

    [message] = smtp_server.mailbox.to("cy@example.org")
    assert message["Subject"] == "Ya puede recoger su hotspot"
    body = text(message)
    assert "código de barras DEV001" in body and "le está esperando en Main" in body
    assert "Por favor, recójalo antes del viernes 4 de diciembre a las 23:59." in body


async def test_admin_digest_goes_to_its_recipient_as_it_was_queued(
    clock, settings, smtp_server, api
):
    async with write_transaction():
        await Notice.insert(
            Notice(
                patron=None,
                kind="plan_digest",
                stage="2026-12",
                channel="email",
                recipient="ops@example.org",
                subject="3 data plans end within 30 days",
                body="Plan A ends 2026-12-20.\nPlan B ends 2026-12-28.\nPlan C ends 2026-12-30.",
                next_attempt_at=clock.now,
                created_at=clock.now,
            )
        )

    summary = await deliver(clock, settings)

    assert summary["sent"] == 1
    [message] = smtp_server.messages
    assert message["To"] == "ops@example.org"
    assert message["Subject"] == "3 data plans end within 30 days"
    assert text(message).strip().endswith("Plan C ends 2026-12-30.")
    [notice] = await notices(kind="plan_digest")
    assert notice["status"] == "sent"
    assert notice["subject"] == "3 data plans end within 30 days"  # kept as queued


async def test_two_runs_at_once_send_each_message_only_once(seed, clock, settings, smtp_server):
    for card, device in (("P001", "DEV001"), ("P003", "DEV002")):
        await seed.contact(card, email=f"{card.lower()}@example.org")
        await seed.checkout(card, device)
    await remind(clock)

    first, second = await asyncio.gather(deliver(clock, settings), deliver(clock, settings))

    assert first["sent"] + second["sent"] == 2
    assert sorted(m["To"] for m in smtp_server.messages) == ["p001@example.org", "p003@example.org"]
