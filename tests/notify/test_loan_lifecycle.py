"""One hotspot loan through its whole life with a pinned clock: reminder, auto-renewal,
overdue stages, line suspension, lost, return with restore and waived charge, holds passing
the device on when not picked up, anonymization. Every job runs twice at each step (the second
run must change nothing) and every notice reaches the local SMTP server exactly once, in the
patron's language."""

from collections import Counter
from datetime import timedelta

from lending.jobs import run_job
from lending.services.actors import Actor
from lending.services.lines import carrier_actions as carrier
from lending.services.lines import service_lines as lines
from lending.tables import Charge, Device, Hold, Loan, ServiceLine

ADMIN = Actor("admin", "admin")


async def _twice(name, now, settings):
    first = (await run_job(name, now, settings)).summary
    second = (await run_job(name, now, settings)).summary
    return first, second


async def _line_status():
    return (await ServiceLine.select(ServiceLine.status).first())["status"]


async def _complete_open_tasks(clock, settings):
    await run_job("carrier_actions", clock.now, settings)
    tasks = (await carrier.list_tasks("task", 50, 0)).items
    for task in tasks:
        await carrier.complete_task(task.id, ADMIN, clock.now)
    return [t.action for t in tasks]


async def test_a_hotspot_loan_lives_its_whole_life_with_each_notice_sent_once(
    seed, api, clock, settings, smtp_server
):
    mail = smtp_server.mailbox
    await seed.contact("P001", email="ana@example.org", language="en")
    await seed.contact("P002", email="ben@example.org", language="en")
    await seed.contact("P003", email="cy@example.org", language="es")
    await lines.create_line(
        ADMIN,
        clock.now,
        {
            "iccid": "89014103211118510720",
            "phone_number": "+1 555 010 0100",
            "carrier": "T-Mobile",
            "device": "DEV001",
        },
        "America/Chicago",
    )
    start = clock.now  # 2026-12-01 10:00 Chicago
    loan = await seed.checkout("P001", "DEV001")
    assert loan["due_at"] == "2026-12-22T23:59:59-06:00"

    # Two days before the due date: one reminder.
    clock.now = start + timedelta(days=19)
    assert await _twice("due_soon", clock.now, settings) == ({"queued": 1}, {"queued": 0})
    await _twice("deliver_notices", clock.now, settings)
    assert len(mail.to("ana@example.org")) == 1

    # Due within a day and nobody waits: auto-renewed for 21 more days, and told so.
    clock.now = start + timedelta(days=21)  # the due date, 10:00
    first, second = await _twice("auto_renew", clock.now, settings)
    assert first["renewed"] == 1 and second["renewed"] == 0
    renewed = await Loan.select(Loan.due_at, Loan.renewals).where(Loan.id == loan["id"]).first()
    assert renewed["renewals"] == 1
    await _twice("deliver_notices", clock.now, settings)
    assert len(mail.to("ana@example.org")) == 2

    # The coordinator turns auto-renewal off; the loan runs late.
    await seed.relogin()
    r = await api.client.put(
        "/api/policies/hotspot", json={"auto_renew": False}, headers=api.headers["admin"]
    )
    assert r.status_code == 200
    due = renewed["due_at"]
    clock.now = due + timedelta(days=1, hours=1)
    assert await _twice("overdue", clock.now, settings) == ({"queued": 1}, {"queued": 0})

    # Three days late: the line is suspended through the carrier (manual gateway: a staff task).
    clock.now = due + timedelta(days=3, hours=1)
    assert (await _twice("suspend_lines", clock.now, settings))[0] == {"suspensions_queued": 1}
    assert await _complete_open_tasks(clock, settings) == ["suspend"]
    assert await _line_status() == "suspended"

    clock.now = due + timedelta(days=7, hours=1)
    assert await _twice("overdue", clock.now, settings) == ({"queued": 1}, {"queued": 0})
    await _twice("deliver_notices", clock.now, settings)

    # Two residents join the waitlist for a hotspot at MAIN.
    await seed.relogin()
    for card in ("P003", "P002"):
        r = await api.client.post(
            "/api/holds",
            json={"patron": card, "kind": "hotspot", "branch": "MAIN"},
            headers=api.headers["desk"],
        )
        assert r.status_code == 201, r.text

    # Thirty days late: lost, with the replacement cost charged and the patron told.
    clock.now = due + timedelta(days=30, hours=1)
    assert await _twice("mark_lost", clock.now, settings) == (
        {"marked_lost": 1},
        {"marked_lost": 0},
    )
    assert [c["status"] for c in await Charge.select()] == ["open"]
    assert (await Device.select(Device.status).where(Device.barcode == "DEV001").first()) == {
        "status": "lost"
    }
    await _twice("deliver_notices", clock.now, settings)

    # It comes back after all: returned, charge waived, line restored, and it waits for P003.
    clock.now = due + timedelta(days=32)
    reply = await seed.checkin("DEV001")
    assert reply["loan"]["status"] == "returned"
    assert reply["line"]["restore_queued"] is True
    assert reply["hold"]["patron"] == "P003"
    assert [c["status"] for c in await Charge.select()] == ["waived"]
    assert await _complete_open_tasks(clock, settings) == ["restore"]
    assert await _line_status() == "active"
    await _twice("deliver_notices", clock.now, settings)

    # P003 never comes: the hold expires and the device passes to P002.
    clock.now = clock.now + timedelta(days=4)
    first, second = await _twice("expire_holds", clock.now, settings)
    assert first == {"expired": 1, "passed_to_next": 1, "back_on_shelf": 0}
    assert second == {"expired": 0, "passed_to_next": 0, "back_on_shelf": 0}
    ready = await Hold.select(Hold.status, Hold.patron.card_number).where(Hold.status == "ready")
    assert [h["patron.card_number"] for h in ready] == ["P002"]
    await _twice("deliver_notices", clock.now, settings)

    # 90 days after the return the loan forgets its borrower.
    clock.now = due + timedelta(days=32 + 91)
    assert (await _twice("anonymize", clock.now, settings))[0]["anonymized_loans"] == 1
    assert (await Loan.select(Loan.patron).where(Loan.id == loan["id"]).first())["patron"] is None

    # Every notice arrived once: Ana (reminder, renewal, overdue d1 + d7 bundled, lost),
    # Cy in Spanish (hold ready, then hold expired), Ben (hold ready).
    assert len(mail.to("ana@example.org")) == 4
    ana_text = "\n".join(m.get_body(("plain",)).get_content() for m in mail.to("ana@example.org"))
    assert "DEV001" in ana_text
    ready_es, expired_es = mail.to("cy@example.org")
    assert "le está esperando" in ready_es.get_body(("plain",)).get_content()
    assert "Hola, Cy" in expired_es.get_body(("plain",)).get_content()
    [ben] = mail.to("ben@example.org")
    assert "DEV001" in ben.get_body(("plain",)).get_content()
    kinds = Counter(n for n in await _notice_kinds())
    assert kinds == Counter(
        {"due_soon": 1, "renewed": 1, "overdue": 2, "lost": 1, "hold_ready": 2, "hold_expired": 1}
    )


async def _notice_kinds():
    from lending.tables import Notice

    return [n["kind"] for n in await Notice.select(Notice.kind).where(Notice.status == "sent")]
