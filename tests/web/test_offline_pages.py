"""The desk's offline routes, in-process (no browser): the kit the desk caches, the upload of
its queue (a good session, a bad one refused whole, no CSRF token, a resident), and the
exceptions page (list, apply now, discard with a reason; an empty reason writes nothing)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_admin_people_forms import Pages

T = "2026-12-01T{}:00-06:00"  # the desk's clock, the morning before the clock fixture's now


def txn(uid: str, kind: str, device: str, at: str, patron: str | None = None) -> dict[str, Any]:
    body = {"id": uid, "type": kind, "device": device, "at": T.format(at), "clerk": "desk"}
    if patron is not None:
        body["patron"] = patron
    return body


SESSION = {
    "id": "page-session-1",
    "service_point": "MAIN",
    "transactions": [
        txn("t1", "checkout", "DEV001", "09:00", "P003"),
        txn("t2", "checkout", "DEV001", "09:05", "P001"),  # already out to P003
        txn("t3", "checkout", "DEV004", "09:10", "P001"),
        txn("t4", "checkin", "DEV005", "09:20"),  # not on loan
    ],
}


class JsonPages(Pages):
    async def upload(self, body: Any, *, csrf: bool = True) -> Any:
        headers = {"x-csrftoken": self.client.cookies.get("lending_csrf")} if csrf else {}
        if isinstance(body, bytes):
            headers["content-type"] = "application/json"
            return await self.client.post("/desk/offline/upload", content=body, headers=headers)
        return await self.client.post("/desk/offline/upload", json=body, headers=headers)


@pytest.fixture
async def desk(client, api, library) -> JsonPages:
    pages = JsonPages(client)
    assert await pages.log_in("desk") == 303
    return pages


async def _loans(api, device: str) -> list[dict[str, Any]]:
    r = await api.as_(api.headers["admin"], "GET", f"/api/loans?device={device}")
    return r.json()["items"]


async def _sessions(api) -> int:
    r = await api.as_(api.headers["admin"], "GET", "/api/offline/sessions")
    return r.json()["total"]


async def test_the_desk_caches_the_kit_of_its_branch_desk(desk):
    r = await desk.get("/desk/offline/kit")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    kit = r.json()
    assert kit["service_point"] == "MAIN" and kit["timezone"] == "America/Chicago"
    hotspot = next(k for k in kit["kinds"] if k["kind"] == "hotspot")
    assert len(hotspot["due_by_day"]) == 7
    r = await desk.get("/desk/offline/kit?service_point=NOWHERE")
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    page = await desk.get("/desk")
    assert 'data-clerk="desk"' in page.text and "/static/offline.js" in page.text
    sw = await desk.get("/desk/offline/sw.js")
    assert sw.status_code == 200 and sw.headers["service-worker-allowed"] == "/desk"


async def test_the_desk_uploads_its_queue_once_and_sees_each_result_in_words(desk, api):
    r = await desk.upload(SESSION)

    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["applied"], body["exceptions"], body["already_uploaded"]) == (2, 2, False)
    codes = {x["id"]: x["code"] for x in body["results"] if x["status"] == "exception"}
    assert codes == {"t2": "device_unavailable", "t4": "not_on_loan"}
    assert "not on the shelf" in body["code_words"]["device_unavailable"]
    assert body["uploaded_by"] == "desk"
    [loan] = await _loans(api, "DEV001")
    assert loan["patron"] == "P003" and loan["checked_out_at"] == T.format("09:00")

    again = await desk.upload(SESSION)
    assert again.status_code == 200 and again.json()["already_uploaded"] is True
    assert len(await _loans(api, "DEV001")) == 1 and await _sessions(api) == 1


BAD = {
    "not json": b"{not json",
    "no transactions": {"id": "bad", "transactions": []},
    "time without offset": {"id": "bad", "transactions": [
        {**txn("b1", "checkin", "DEV001", "09:00"), "at": "2026-12-01T09:00:00"}]},
    "another clerk's work": {"id": "bad", "transactions": [
        txn("b0", "checkout", "DEV003", "08:00", "P003"),
        {**txn("b1", "checkin", "DEV001", "09:00"), "clerk": "admin"}]},
    "unknown field": {"id": "bad", "extra": 1, "transactions": [
        txn("b1", "checkout", "DEV003", "09:00", "P003")]},
}  # fmt: skip


@pytest.mark.parametrize("body", BAD.values(), ids=BAD.keys())
async def test_a_bad_queue_is_refused_whole_with_422_and_nothing_is_written(desk, api, body):
    r = await desk.upload(body)

    assert r.status_code == 422, r.text
    assert r.json()["code"] in ("validation_error", "malformed_json") and r.json()["detail"]
    assert await _loans(api, "DEV003") == [] and await _sessions(api) == 0


async def test_an_upload_without_the_csrf_token_or_by_a_resident_is_refused(client, api, library):
    pages = JsonPages(client)
    assert await pages.log_in("desk") == 303
    r = await pages.upload(SESSION, csrf=False)
    assert r.status_code == 403
    await client.post("/logout", data={"_csrf_token": client.cookies.get("lending_csrf")})

    r = await pages.post("/my/login", {"card_number": "P001", "pin": "1234"})
    assert r.status_code == 303
    r = await pages.upload(SESSION)
    assert r.status_code == 403
    r = await pages.get("/desk/offline")
    assert r.status_code == 403
    assert await _loans(api, "DEV001") == [] and await _sessions(api) == 0


def _entries(html: str) -> dict[str, int]:
    """device -> exception entry, from the exceptions table."""
    rows = re.findall(r'<tr id="exception-(\d+)"[^>]*>.*?<strong>([^<]+)</strong>', html, re.S)
    return {device: int(entry) for entry, device in rows}


async def test_staff_apply_and_discard_exceptions_on_the_page(desk, api):
    assert (await desk.upload(SESSION)).status_code == 200
    page = await desk.get("/desk/offline")
    assert page.status_code == 200
    entries = _entries(page.text)
    assert set(entries) == {"DEV001", "DEV005"}
    assert "device_unavailable" in page.text and "P001" in page.text
    assert "The device was not on the shelf to lend" in page.text
    assert 'href="/desk/offline"' in page.text  # the desk's menu links to it

    # Still out to P003: refused again, in words, and it stays on the list.
    r = await desk.post(f"/desk/offline/{entries['DEV001']}/apply", {})
    assert r.status_code == 409 and "Not applied" in r.text and 'id="offline-error"' in r.text
    assert set(_entries(r.text)) == {"DEV001", "DEV005"}
    await api.as_(api.headers["desk"], "POST", "/api/checkin", json={"device": "DEV001"})
    r = await desk.post(f"/desk/offline/{entries['DEV001']}/apply", {})
    assert r.status_code == 303 and r.headers["location"] == "/desk/offline"
    page = await desk.get("/desk/offline")
    assert "Checked out: DEV001" in page.text and set(_entries(page.text)) == {"DEV005"}
    active = [x for x in await _loans(api, "DEV001") if x["status"] == "active"]
    assert [x["patron"] for x in active] == ["P001"]
    r = await desk.post(f"/desk/offline/{entries['DEV001']}/apply", {})
    assert r.status_code == 409 and "already" in r.text

    # Discard: a reason is required; without one nothing is written.
    r = await desk.post(f"/desk/offline/{entries['DEV005']}/discard", {"reason": "  "})
    assert r.status_code == 422 and "Say why it is discarded." in r.text
    assert f'id="reason-{entries["DEV005"]}-error"' in r.text
    listed = await api.as_(api.headers["admin"], "GET", "/api/offline/exceptions")
    assert listed.json()["total"] == 1
    r = await desk.post(
        f"/desk/offline/{entries['DEV005']}/discard", {"reason": "It was on the shelf all along"}
    )
    assert r.status_code == 303
    page = await desk.get("/desk/offline")
    assert 'id="offline-none"' in page.text
    gone = await api.as_(api.headers["admin"], "GET", "/api/offline/exceptions?status=discarded")
    [item] = gone.json()["items"]
    assert (item["reason"], item["resolved_by"]) == ("It was on the shelf all along", "desk")
    r = await desk.post("/desk/offline/999999/apply", {})
    assert r.status_code == 404
