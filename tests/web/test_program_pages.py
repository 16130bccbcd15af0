"""The program pages, in-process (no browser): an admin adds a partner and a program through the
forms, enrols a patron, records their attendance by card scan and their signed agreement, and
sees it all on the program page; partner staff see only their partner's programs and cannot
add one; bad form values show an error (4xx) and write nothing; a desk checkout chosen under a
program records the loan's program, and a refusal says why in the desk's words."""

from __future__ import annotations

from typing import Any

import pytest
from test_admin_people_forms import LONG, Pages, field_error


async def ok(response, status: int = 200) -> Any:
    assert response.status_code in (status, 201 if status == 200 else status), response.text
    return response.json()


@pytest.fixture
async def pages(client, api, library) -> Pages:
    pages = Pages(client)
    assert await pages.log_in() == 303
    return pages


async def two_partner_programs(api, **program: Any) -> None:
    """Partners HA and YM, each with a hotspot program (HA-1, YM-1), through the API."""
    admin = api.headers["admin"]
    for code in ("HA", "YM"):
        await ok(await api.as_(admin, "POST", "/api/partners", json={"code": code, "name": code}))
        body = {"code": f"{code}-1", "name": f"{code} hotspots", "starts_on": "2026-09-01",
                "kinds": ["hotspot"], "partners": [code], **program}  # fmt: skip
        await ok(await api.as_(admin, "POST", "/api/programs", json=body))


async def program_of(api, code: str) -> dict[str, Any]:
    return await ok(await api.as_(api.headers["admin"], "GET", f"/api/programs/{code}"))


async def enrolled(api, code: str) -> list[dict[str, Any]]:
    reply = await api.as_(api.headers["admin"], "GET", f"/api/programs/{code}/enrolments")
    return (await ok(reply))["items"]


async def test_an_admin_adds_a_partner_and_a_program_then_enrols_trains_and_signs_a_patron(
    pages, api
):
    r = await pages.post(
        "/admin/programs/partners", {"partner_code": "HACC", "partner_name": "CHA"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/programs"
    r = await pages.post(
        "/admin/programs",
        {"code": "CH-HA", "name": "ConnectHome", "funder": "ECF", "starts_on": "2026-09-01",
         "ends_on": "2027-08-31", "kind_hotspot": "on", "partner_HACC": "on",
         "training_hours": "1", "agreement_version": "2026-1", "attestation_required": "on",
         "hotspot_loan_days": "365", "hotspot_household_limit": "1", "hotspot_quota": "40"},
    )  # fmt: skip
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/admin/programs/CH-HA"
    program = await program_of(api, "CH-HA")
    assert program["partners"] == ["HACC"] and program["kinds"] == ["hotspot"]
    assert program["training_hours"] == 1 and program["attestation_required"] is True
    assert program["terms"] == [{"kind": "hotspot", "loan_days": 365, "renewal_days": None,
                                 "max_renewals": None, "household_limit": 1, "quota": 40}]  # fmt: skip
    listed = await pages.get("/admin/programs")
    assert listed.status_code == 200 and 'href="/admin/programs/CH-HA"' in listed.text
    assert "Add a program" in listed.text and ">Programs</a>" in listed.text

    r = await pages.post(
        "/admin/programs/CH-HA/enrolments",
        {"card": "P001", "method": "housing_lease", "verified_on": "", "expires_on": ""},
    )
    assert r.status_code == 303, r.text
    (enrolment,) = await enrolled(api, "CH-HA")
    assert enrolment["refusal"] == "attestation_required" and enrolment["verified_by"] == "admin"
    page = await pages.get("/admin/programs/CH-HA")
    assert "Needs the household&#39;s statement" in page.text
    assert (
        await pages.post("/admin/programs/CH-HA/attest", {"attest_card": "P001"})
    ).status_code == 303

    r = await pages.post(
        "/admin/programs/CH-HA/sessions",
        {"topic": "Orientation", "starts_at": "2026-12-01T09:00", "hours": "1", "capacity": "20",
         "service_point": ""},
    )  # fmt: skip
    assert r.status_code == 303, r.text
    session_page = r.headers["location"]
    assert session_page.startswith("/admin/programs/CH-HA/sessions/")
    page = await pages.get(session_page)
    assert page.status_code == 200 and "autofocus" in page.text and "0 attended" in page.text
    r = await pages.post(session_page + "/attendance", {"card": " P001\r"})  # as a scanner types
    assert r.status_code == 303 and r.headers["location"] == session_page
    page = await pages.get(session_page)
    assert "1 attended" in page.text and "now 1 hour of training" in page.text
    sessions = await ok(await api.as_(api.headers["admin"], "GET", "/api/programs/CH-HA/sessions"))
    assert sessions["items"][0]["starts_at"].startswith("2026-12-01T09:00:00-06:00")

    r = await pages.post(
        "/admin/programs/CH-HA/agreements", {"sign_card": "P001", "signature": "Ana"}
    )
    assert r.status_code == 303, r.text
    (enrolment,) = await enrolled(api, "CH-HA")
    assert enrolment["ready"] is True and enrolment["agreement"]["version"] == "2026-1"
    page = await pages.get("/admin/programs/CH-HA")
    assert page.status_code == 200
    row = page.text.split('data-card="P001"')[1].split("</tr>")[0]
    assert "Ana" in row and "Housing lease, by admin on 2026-12-01" in row
    assert "1 of 1 h" in row and "Signed version 2026-1, until 2027-12-01" in row
    assert "Ready to borrow" in row

    report = await pages.get("/admin/programs/CH-HA/report?month=2026-12&suppress=1")
    assert report.status_code == 200 and "Whole program" in report.text and "&lt;5" in report.text


async def test_partner_staff_see_their_programs_only_and_cannot_add_one(client, api, library):
    await two_partner_programs(api)
    await api.staff("p1", "partner", partner="HA")
    partner = Pages(client)
    assert await partner.log_in("p1") == 303
    listed = await partner.get("/admin/programs")
    assert listed.status_code == 200
    assert 'href="/admin/programs/HA-1"' in listed.text
    assert "YM-1" not in listed.text and "Add a program" not in listed.text
    assert (await partner.get("/admin/programs/YM-1")).status_code == 404
    assert (await partner.get("/admin/programs/YM-1/report?month=2026-12")).status_code == 404
    r = await partner.post("/admin/programs", {"code": "X", "name": "X", "starts_on": "2026-12-01",
                                               "kind_hotspot": "on"})  # fmt: skip
    assert r.status_code == 403
    r = await partner.post("/admin/programs/partners", {"partner_code": "Z", "partner_name": "Z"})
    assert r.status_code == 403
    r = await partner.post("/admin/programs/YM-1/enrolments", {"card": "P003", "method": "school"})
    assert r.status_code == 404
    assert await enrolled(api, "YM-1") == []

    page = await partner.get("/admin/programs/HA-1")
    assert page.status_code == 200 and "Enrol a patron" in page.text
    assert "Barcodes to assign" not in page.text  # stock is the library's to assign
    r = await partner.post("/admin/programs/HA-1/enrolments", {"card": "P003", "method": "school"})
    assert r.status_code == 303, r.text
    (enrolment,) = await enrolled(api, "HA-1")
    assert enrolment["patron"] == "P003" and enrolment["verified_by"] == "p1"
    assert (await partner.get("/admin/programs/HA-1/report")).status_code == 200
    assert (await program_of(api, "HA-1"))["stock"] == 0


async def test_bad_program_forms_show_an_error_and_write_nothing(pages, api):
    await two_partner_programs(api)
    r = await pages.post(
        "/admin/programs",
        {"code": "a b", "name": LONG, "starts_on": "soon", "ends_on": "2026-02-30",
         "hotspot_loan_days": "abc", "laptop_quota": "5", "training_hours": "-1",
         "points": "NOWHERE"},
    )  # fmt: skip
    assert r.status_code == 422
    assert "letters, digits" in field_error(r.text, "f-code")
    assert "at most 200" in field_error(r.text, "f-name")
    assert "YYYY-MM-DD" in field_error(r.text, "f-starts_on")
    assert "YYYY-MM-DD" in field_error(r.text, "f-ends_on")
    assert "Tick at least one kind" in field_error(r.text, "f-kinds")
    assert "whole number" in field_error(r.text, "f-hotspot_loan_days")
    assert "Tick laptop" in field_error(r.text, "f-laptop_quota")
    assert "number of hours" in field_error(r.text, "f-training_hours")
    base = {"name": "P", "starts_on": "2026-09-01", "kind_hotspot": "on"}
    r = await pages.post("/admin/programs", {**base, "code": "NEW", "points": "NOWHERE"})
    assert r.status_code == 422 and "No service point" in field_error(r.text, "f-points")
    r = await pages.post("/admin/programs", {**base, "code": "NEW", "ends_on": "2026-01-01"})
    assert r.status_code == 422 and "before" in field_error(r.text, "f-ends_on")
    r = await pages.post("/admin/programs", {**base, "code": "HA-1"})
    assert r.status_code == 422 and "already exists" in field_error(r.text, "f-code")
    r = await pages.post("/admin/programs/partners", {"partner_code": "HA", "partner_name": ""})
    assert r.status_code == 422 and field_error(r.text, "f-partner_name")
    r = await pages.post("/admin/programs/partners", {"partner_code": "HA", "partner_name": "H"})
    assert r.status_code == 422 and "already exists" in field_error(r.text, "f-partner_code")
    listed = await ok(await api.as_(api.headers["admin"], "GET", "/api/programs"))
    assert [p["code"] for p in listed["items"]] == ["HA-1", "YM-1"]

    post = "/admin/programs/HA-1/"
    for form, field, words in [
        ({"card": "NOPE", "method": "school"}, "f-card", "No patron"),
        ({"card": "", "method": "school"}, "f-card", "Scan or type"),
        ({"card": "x" * 200, "method": "school"}, "f-card", "at most"),
        ({"card": "P001", "method": "bribe"}, "f-method", "Choose how"),
        ({"card": "P001", "method": "school", "verified_on": "2026-13-01"}, "f-verified_on",
         "YYYY-MM-DD"),
        ({"card": "P001", "method": "school", "verified_on": "2027-01-01"}, "f-verified_on",
         "future"),
        ({"card": "P001", "method": "school", "verified_on": "2026-11-01",
          "expires_on": "2026-10-01"}, "f-expires_on", "before"),
    ]:  # fmt: skip
        r = await pages.post(post + "enrolments", form)
        assert r.status_code == 422, (form, r.status_code)
        assert words in field_error(r.text, field), (form, field_error(r.text, field))
    assert await enrolled(api, "HA-1") == []

    r = await pages.post(post + "stock", {"devices": "DEV001 NOPE"})
    assert r.status_code == 422 and "No device with barcode" in field_error(r.text, "f-devices")
    r = await pages.post(post + "stock", {"devices": "DEV004"})  # a laptop
    assert r.status_code == 422 and "laptop" in field_error(r.text, "f-devices")
    r = await pages.post(post + "stock/release", {"barcode": "DEV001"})
    assert r.status_code == 422 and "not in program" in field_error(r.text, "f-barcode")
    assert (await program_of(api, "HA-1"))["stock"] == 0

    r = await pages.post(post + "agreements", {"sign_card": "P001", "signature": "Ana"})
    assert r.status_code == 422 and "no borrower agreement" in r.text

    r = await pages.post(
        post + "sessions",
        {"topic": "", "starts_at": "tomorrow", "hours": "0", "capacity": "0",
         "service_point": "NOWHERE"},
    )  # fmt: skip
    assert r.status_code == 422
    assert field_error(r.text, "f-topic") == "Enter the session's topic."
    assert "date and time" in field_error(r.text, "f-starts_at")
    assert "above 0" in field_error(r.text, "f-hours")
    assert "from 1 to 1000" in field_error(r.text, "f-capacity")
    sessions = await ok(await api.as_(api.headers["admin"], "GET", "/api/programs/HA-1/sessions"))
    assert sessions["total"] == 0
    r = await pages.post(post + "sessions/1/attendance", {"card": "P001"})
    assert r.status_code == 404
    r = await pages.post(post + f"sessions/{2**40}/attendance", {"card": "P001"})
    assert r.status_code == 404
    assert (await pages.get(post + f"sessions/{2**63}")).status_code in (400, 404)

    assert (await pages.get("/admin/programs/NOPE")).status_code == 404
    assert (await pages.get("/admin/programs/" + "Q" * 500)).status_code == 404
    assert (
        await pages.post("/admin/programs/NOPE/enrolments", {"card": "P001"})
    ).status_code == 404
    r = await pages.get("/admin/programs/HA-1/report?month=2026-13")
    assert r.status_code == 422 and "YYYY-MM" in field_error(r.text, "f-month")


async def test_a_session_scan_of_an_unknown_card_is_shown_and_a_full_session_refuses(pages, api):
    await two_partner_programs(api)
    r = await pages.post(
        "/admin/programs/HA-1/sessions",
        {"topic": "Orientation", "starts_at": "2026-12-02T18:30", "hours": "1.5", "capacity": "1"},
    )
    assert r.status_code == 303, r.text
    scan = r.headers["location"] + "/attendance"
    r = await pages.post(scan, {"card": "NOPE"})
    assert r.status_code == 422 and "No patron" in field_error(r.text, "f-card")
    assert (await pages.post(scan, {"card": "P001"})).status_code == 303
    r = await pages.post(scan, {"card": "P002"})
    assert r.status_code == 422 and "full" in field_error(r.text, "f-card")
    sessions = await ok(await api.as_(api.headers["admin"], "GET", "/api/programs/HA-1/sessions"))
    assert (sessions["items"][0]["attended"], sessions["items"][0]["hours"]) == (1, 1.5)


async def test_a_desk_checkout_under_a_chosen_program_records_the_loans_program(
    client, api, library
):
    await two_partner_programs(api)
    desk_headers = api.headers["desk"]
    await ok(await api.as_(desk_headers, "POST", "/api/programs/HA-1/enrolments",
                           json={"patron": "P003", "method": "school"}))  # fmt: skip
    desk = Pages(client)
    assert await desk.log_in("desk") == 303
    page = await desk.get("/desk")
    assert page.status_code == 200 and '<select id="program" name="program"' in page.text
    assert '<option value="HA-1">HA hotspots (HA-1)</option>' in page.text

    r = await desk.post(
        "/desk/scan", {"mode": "checkout", "patron": "P001", "code": "DEV002", "program": "HA-1"}
    )
    assert r.status_code == 200 and 'data-outcome="bad"' in r.text
    assert "The patron is not enrolled in program HA-1." in r.text
    assert "Enrol them on the program" in r.text

    r = await desk.post(
        "/desk/scan", {"mode": "checkout", "patron": "P003", "code": "DEV001", "program": "HA-1"}
    )
    assert r.status_code == 200 and 'data-action="checkout"' in r.text, r.text
    assert "Lent under program HA-1." in r.text
    assert '<option value="HA-1" selected>' in r.text  # the choice stays for the next scan
    loans = await ok(await api.as_(desk_headers, "GET", "/api/loans"))
    assert [(loan["device"], loan["program"]) for loan in loans["items"]] == [("DEV001", "HA-1")]

    r = await desk.post(
        "/desk/scan", {"mode": "checkout", "patron": "P003", "code": "DEV002", "program": "<x>"}
    )
    assert r.status_code == 200 and "Choose a program from the list" in r.text
    r = await desk.post(
        "/desk/scan", {"mode": "checkout", "patron": "P003", "code": "DEV002", "program": "NOPE"}
    )
    assert r.status_code == 200 and 'data-outcome="bad"' in r.text
    assert (await ok(await api.as_(desk_headers, "GET", "/api/loans")))["total"] == 1
