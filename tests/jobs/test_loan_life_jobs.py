"""Jobs that follow a loan after checkout, with a pinned clock, on both databases."""

from datetime import timedelta

from lending.jobs import run_job
from lending.settings import Settings
from lending.tables import Charge, Device, Event, Loan, LoginAttempt, Notice

SETTINGS = Settings(timezone="America/Chicago")


async def _checkout(api, card="P001", device="DEV001"):
    r = await api.client.post(
        "/api/checkout", json={"patron": card, "device": device}, headers=api.headers["desk"]
    )
    assert r.status_code == 201, r.text
    return r.json()["loan"]


async def _notices(kind):
    return await Notice.select().where(Notice.kind == kind).order_by(Notice.id)


async def test_due_soon_reminder_is_queued_once_per_loan_and_due_date(api, library, clock):
    await _checkout(api)  # due 2026-12-22 end of day; reminder 2 days before
    clock.now = clock.now + timedelta(days=18)  # 2026-12-19: too early
    assert (await run_job("due_soon", clock.now, SETTINGS)).summary == {"queued": 0}
    clock.now = clock.now + timedelta(days=1)  # 2026-12-20: two days before
    assert (await run_job("due_soon", clock.now, SETTINGS)).summary == {"queued": 1}
    assert (await run_job("due_soon", clock.now, SETTINGS)).summary == {"queued": 0}
    assert len(await _notices("due_soon")) == 1


async def test_overdue_notices_go_out_once_per_stage_and_only_the_latest_reached(
    api, library, clock
):
    await _checkout(api)
    start = clock.now
    clock.now = start + timedelta(days=23)  # 1 day late
    assert (await run_job("overdue", clock.now, SETTINGS)).summary == {"queued": 1}
    assert (await run_job("overdue", clock.now, SETTINGS)).summary == {"queued": 0}
    clock.now = start + timedelta(days=40)  # past stages 7 and 14 at once: only d14
    assert (await run_job("overdue", clock.now, SETTINGS)).summary == {"queued": 1}
    stages = [n["stage"] for n in await _notices("overdue")]
    assert stages == ["d1-r0", "d14-r0"]


async def test_long_overdue_loan_is_marked_lost_with_a_replacement_charge(api, library, clock):
    loan = await _checkout(api)
    clock.now = clock.now + timedelta(days=21 + 31)
    assert (await run_job("mark_lost", clock.now, SETTINGS)).summary == {"marked_lost": 1}
    assert (await run_job("mark_lost", clock.now, SETTINGS)).summary == {"marked_lost": 0}
    row = await Loan.select(Loan.status).where(Loan.id == loan["id"]).first()
    assert row["status"] == "lost"
    device = await Device.select(Device.status).where(Device.barcode == "DEV001").first()
    assert device["status"] == "lost"
    charges = await Charge.select()
    assert [c["amount_cents"] for c in charges] == [10000]
    assert len(await _notices("lost")) == 1
    events = await Event.select().where(Event.action == "marked_lost")
    assert events[0]["subject"] == "DEV001" and events[0]["patron_card"] == "P001"


async def test_old_returned_loans_lose_their_patron_but_keep_device_and_dates(api, library, clock):
    loan = await _checkout(api)
    r = await api.client.post(
        "/api/checkin", json={"device": "DEV001"}, headers=api.headers["desk"]
    )
    assert r.status_code == 200
    clock.now = clock.now + timedelta(days=89)
    assert (await run_job("anonymize", clock.now, SETTINGS)).summary["anonymized_loans"] == 0
    clock.now = clock.now + timedelta(days=2)
    assert (await run_job("anonymize", clock.now, SETTINGS)).summary["anonymized_loans"] == 1
    row = await Loan.select().where(Loan.id == loan["id"]).first()
    assert row["patron"] is None and row["device"] is not None and row["returned_at"] is not None
    about = await Event.select().where(Event.loan == loan["id"])
    assert about and all(e["patron_card"] is None for e in about)
    assert (await run_job("anonymize", clock.now, SETTINGS)).summary["anonymized_loans"] == 0


async def test_the_anonymize_job_deletes_failed_logins_older_than_the_lockout_window(
    api, library, clock
):
    for card in ("P001", "P002"):
        r = await api.client.post("/api/auth/token", json={"card_number": card, "pin": "0000"})
        assert r.status_code == 401
    clock.now = clock.now + timedelta(minutes=SETTINGS.login_window_minutes - 1)
    r = await api.client.post("/api/auth/token", json={"card_number": "P003", "pin": "0000"})
    assert r.status_code == 401
    assert await LoginAttempt.count() == 3

    clock.now = clock.now + timedelta(minutes=2)  # the first two are past the window now
    summary = (await run_job("anonymize", clock.now, SETTINGS)).summary

    assert summary["login_attempts_purged"] == 2
    assert [a["account"] for a in await LoginAttempt.select(LoginAttempt.account)] == [
        "patron:P003"
    ]
