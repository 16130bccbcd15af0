"""Offline circulation through the API, on both databases: a desk's queued session replays in
the order it happened, as of each transaction's time, as its clerk; conflicts land on the
exceptions list (never dropped) and staff apply or discard them; replaying again changes
nothing; a bad session is refused whole."""

from __future__ import annotations

from typing import Any

import pytest

T = "2026-12-01T{}:00-06:00"  # the desk's clock, the morning before the clock fixture's now


def txn(uid: str, kind: str, device: str, at: str, patron: str | None = None, **extra: Any):
    body = {"id": uid, "type": kind, "device": device, "at": T.format(at), "clerk": "desk"}
    if patron is not None:
        body["patron"] = patron
    return {**body, **extra}


SESSION = {
    "id": "desk-1-2026-12-01",
    "transactions": [
        txn("t1", "checkout", "DEV001", "09:00", "P003", due_at="2026-12-22T23:59:59-06:00"),
        txn("t2", "checkout", "DEV001", "09:05", "P001"),  # already out to P003
        txn("t4", "checkin", "DEV004", "09:20"),  # listed before t3, happened after it
        txn("t3", "checkout", "DEV004", "09:10", "P001"),
        txn("t5", "checkout", "NOPE", "09:30", "P001"),  # unknown device
        txn("t6", "renew", "DEV001", "09:40"),
    ],
}


async def ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def upload(api, body, who: str = "desk"):
    return await api.as_(api.headers[who], "POST", "/api/offline/sessions", json=body)


async def loans_of(api, device: str) -> list[dict[str, Any]]:
    page = await ok(await api.as_(api.headers["admin"], "GET", f"/api/loans?device={device}"))
    return page["items"]


async def test_a_session_replays_in_time_order_as_of_each_transactions_time(api, library):
    session = await ok(await upload(api, SESSION))

    results = {r["id"]: r for r in session["results"]}
    assert session["already_uploaded"] is False
    assert (session["transactions"], session["applied"], session["exceptions"]) == (6, 4, 2)
    assert {k: (r["status"], r["code"]) for k, r in results.items()} == {
        "t1": ("applied", None),
        "t2": ("exception", "device_unavailable"),
        "t3": ("applied", None),
        "t4": ("applied", None),
        "t5": ("exception", "device_not_found"),
        "t6": ("applied", None),
    }
    # Lent and returned as of the desk's times, by the clerk.
    [lent] = await loans_of(api, "DEV001")
    assert lent["patron"] == "P003" and lent["checked_out_at"] == "2026-12-01T09:00:00-06:00"
    assert lent["renewals"] == 1
    [back] = await loans_of(api, "DEV004")
    assert back["returned_at"] == "2026-12-01T09:20:00-06:00" and back["patron"] == "P001"
    # The provisional due date the desk showed is kept beside the real one.
    assert results["t1"]["provisional_due_at"] == "2026-12-22T23:59:59-06:00"
    events = await ok(await api.as_(api.headers["admin"], "GET", "/api/events?subject=DEV004"))
    assert {e["actor"] for e in events["items"] if e["action"] in ("checkout", "checkin")} == {
        "desk"
    }


async def test_uploading_the_same_session_again_changes_nothing(api, library):
    first = await ok(await upload(api, SESSION))
    again = await ok(await upload(api, SESSION))

    assert again["already_uploaded"] is True
    assert again["results"] == first["results"]
    assert len(await loans_of(api, "DEV001")) == 1
    assert len(await loans_of(api, "DEV004")) == 1
    # A transaction already replayed, in a new session, is not applied twice either.
    later = {"id": "desk-1-retry", "transactions": [SESSION["transactions"][3]]}
    retry = await ok(await upload(api, later))
    assert [r["status"] for r in retry["results"]] == ["duplicate"]
    assert len(await loans_of(api, "DEV004")) == 1


async def test_staff_apply_or_discard_each_exception_under_their_name(api, library, problem_code):
    admin, desk = api.headers["admin"], api.headers["desk"]
    await ok(await upload(api, SESSION))
    listed = await ok(await api.as_(admin, "GET", "/api/offline/exceptions"))
    entries = {r["id"]: r["entry"] for r in listed["items"]}
    assert set(entries) == {"t2", "t5"} and listed["total"] == 2

    # Still out to P003: applying it now is refused again, and it stays on the list.
    r = await api.as_(admin, "POST", f"/api/offline/exceptions/{entries['t2']}/apply")
    assert problem_code(r, 409) == "device_unavailable"
    await ok(await api.as_(desk, "POST", "/api/checkin", json={"device": "DEV001"}))
    applied = await ok(
        await api.as_(admin, "POST", f"/api/offline/exceptions/{entries['t2']}/apply")
    )
    assert (applied["status"], applied["resolved_by"]) == ("resolved", "admin")
    assert [x["patron"] for x in await loans_of(api, "DEV001") if x["status"] == "active"] == [
        "P001"
    ]
    r = await api.as_(admin, "POST", f"/api/offline/exceptions/{entries['t2']}/apply")
    assert problem_code(r, 409) == "offline_exception_resolved"

    r = await api.as_(admin, "POST", f"/api/offline/exceptions/{entries['t5']}/discard", json={})
    assert problem_code(r, 422) == "validation_error"
    gone = await ok(await api.as_(admin, "POST", f"/api/offline/exceptions/{entries['t5']}/discard",
                                  json={"reason": "Mistyped barcode; the patron took DEV005"}))  # fmt: skip
    assert (gone["status"], gone["reason"]) == (
        "discarded",
        "Mistyped barcode; the patron took DEV005",
    )
    assert (await ok(await api.as_(admin, "GET", "/api/offline/exceptions")))["total"] == 0
    r = await api.as_(admin, "POST", "/api/offline/exceptions/999999/apply")
    assert problem_code(r, 404) == "offline_exception_not_found"
    events = await ok(await api.as_(admin, "GET", "/api/events?actor=admin"))
    actions = [e["action"] for e in events["items"]]
    assert "offline_exception_applied" in actions and "offline_exception_discarded" in actions


async def test_a_checkin_queued_before_the_device_was_lent_again_online_is_an_exception(
    api, library
):
    await ok(await api.as_(api.headers["desk"], "POST", "/api/checkout",
                           json={"patron": "P003", "device": "DEV002"}), 201)  # fmt: skip
    session = {"id": "late", "transactions": [txn("c1", "checkin", "DEV002", "09:00")]}

    result = await ok(await upload(api, session))

    assert [(r["status"], r["code"]) for r in result["results"]] == [
        ("exception", "offline_out_of_order")
    ]
    [loan] = await loans_of(api, "DEV002")
    assert loan["returned_at"] is None


def _with(**changes: Any) -> dict[str, Any]:
    return {
        "id": "bad",
        "transactions": [{**txn("b1", "checkout", "DEV001", "09:00", "P001"), **changes}],
    }


BAD_SESSIONS = {
    "duplicate ids": {"id": "bad", "transactions": [txn("b1", "checkin", "DEV001", "09:00"),
                                                     txn("b1", "checkin", "DEV002", "09:01")]},
    "time in the future": _with(at="2026-12-02T09:00:00-06:00"),
    "time without offset": _with(at="2026-12-01T09:00:00"),
    "months old": _with(at="2026-08-01T09:00:00-06:00"),
    "unknown clerk": _with(clerk="mallory"),
    "another clerk's work": _with(clerk="admin"),
    "checkout without patron": {"id": "bad", "transactions": [txn("b1", "checkout", "DEV001", "09:00")]},
    "checkin with patron": _with(type="checkin"),
    "unknown type": _with(type="steal"),
    "empty queue": {"id": "bad", "transactions": []},
    "hostile id": {**_with(), "id": "'; DROP TABLE loan; --"},
    "over-long device": _with(device="D" * 200),
    "unknown service point": {**_with(), "service_point": "NOWHERE"},
    "unknown field": {**_with(), "extra": 1},
}  # fmt: skip


@pytest.mark.parametrize("body", BAD_SESSIONS.values(), ids=BAD_SESSIONS.keys())
async def test_a_bad_session_is_refused_whole_and_nothing_is_replayed(
    api, library, problem_code, body
):
    good = txn("g1", "checkout", "DEV003", "08:00", "P003")
    body = {**body, "transactions": [good, *body["transactions"]]} if body["transactions"] else body

    r = await upload(api, body)

    assert problem_code(r, 422) == "validation_error"
    assert await loans_of(api, "DEV003") == []
    sessions = await ok(await api.as_(api.headers["admin"], "GET", "/api/offline/sessions"))
    assert sessions["total"] == 0


async def test_malformed_or_huge_uploads_are_refused(api, library, problem_code):
    desk = api.headers["desk"]
    r = await api.client.post("/api/offline/sessions", content=b"{not json", headers={
        **desk, "content-type": "application/json"})  # fmt: skip
    assert problem_code(r, 400) == "malformed_json"
    huge = b'{"id": "big", "transactions": [' + b" " * (5 * 1024 * 1024) + b"]}"
    r = await api.client.post("/api/offline/sessions", content=huge, headers={
        **desk, "content-type": "application/json"})  # fmt: skip
    assert r.status_code == 413
    sessions = await ok(await api.as_(api.headers["admin"], "GET", "/api/offline/sessions"))
    assert sessions["total"] == 0


async def test_an_admin_uploads_a_clerks_exported_queue_and_residents_may_not(
    api, library, problem_code
):
    resident = await api.login(card_number="P001", pin="1234")
    r = await api.as_(resident, "POST", "/api/offline/sessions", json=SESSION)
    assert problem_code(r, 403) == "forbidden"
    r = await api.as_(api.headers["desk"], "GET", "/api/offline/exceptions")
    assert r.status_code == 200  # desk staff resolve exceptions too

    result = await ok(await upload(api, SESSION, who="admin"))
    assert result["uploaded_by"] == "admin" and result["applied"] == 4
    listed = await ok(await api.as_(api.headers["desk"], "GET", "/api/offline/sessions"))
    assert [(s["id"], s["open_exceptions"]) for s in listed["items"]] == [(SESSION["id"], 2)]
    one = await ok(
        await api.as_(api.headers["desk"], "GET", f"/api/offline/sessions/{SESSION['id']}")
    )
    assert len(one["results"]) == 6
    r = await api.as_(api.headers["desk"], "GET", "/api/offline/sessions/nope")
    assert problem_code(r, 404) == "offline_session_not_found"


async def test_the_offline_kit_carries_the_rules_due_dates_and_the_cards_not_to_lend_to(
    api, library
):
    admin, desk = api.headers["admin"], api.headers["desk"]
    await ok(await api.as_(admin, "POST", "/api/branches/MAIN/closures",
                           json={"date": "2026-12-22", "reason": "Staff day"}), 201)  # fmt: skip
    await ok(
        await api.as_(
            admin, "PATCH", "/api/patrons/P002", json={"blocked": True, "block_reason": "Lost"}
        )
    )

    kit = await ok(await api.as_(desk, "GET", "/api/offline/kit?service_point=MAIN"))

    assert kit["timezone"] == "America/Chicago" and kit["service_point"] == "MAIN"
    hotspot = next(k for k in kit["kinds"] if k["kind"] == "hotspot")
    assert len(hotspot["due_by_day"]) == 7
    # Lent today (Tue 1 Dec) for 21 days: due Tue 22 Dec, a closed day, so Wed 23 Dec; the
    # same as a checkout online says.
    assert hotspot["due_by_day"]["2026-12-01"] == "2026-12-23T23:59:59-06:00"
    r = await api.as_(desk, "POST", "/api/checkout", json={"patron": "P003", "device": "DEV001"})
    assert (await ok(r, 201))["loan"]["due_at"] == hotspot["due_by_day"]["2026-12-01"]
    assert [c["card"] for c in kit["cards"] if c["blocked"]] == ["P002"]
    r = await api.as_(desk, "GET", "/api/offline/kit?service_point=NOWHERE")
    assert r.status_code == 422
