"""Partner programs through the API, on both databases: a housing authority's hotspot program at
a partner site (partner staff enrol, record the orientation, capture the agreement and lend; a
second device to the same household is refused; the monthly report suppresses small counts),
each requirement's refusal code, program stock, terms and renewals, and what partner staff
may not reach."""

from __future__ import annotations

from typing import Any

import pytest

PROGRAM = {
    "code": "CH-HA",
    "name": "ConnectHome at Cabrini",
    "partners": ["HACC"],
    "funder": "Emergency Connectivity Fund",
    "starts_on": "2026-09-01",
    "ends_on": "2027-08-31",
    "kinds": ["hotspot"],
    "points": ["HA-SITE"],
    "training_hours": 1,
    "agreement_version": "2026-1",
    "attestation_required": True,
    "terms": {"hotspot": {"loan_days": 365, "household_limit": 1, "quota": 40}},
}


async def ok(response, status: int = 200) -> Any:
    assert response.status_code in (status, 201 if status == 200 else status), response.text
    return response.json()


async def housing_authority(api, **program: Any) -> dict[str, str]:
    """Partner HACC, its site HA-SITE, program CH-HA there and a partner staff account."""
    admin = api.headers["admin"]
    await ok(await api.as_(admin, "POST", "/api/partners", json={"code": "HACC", "name": "CHA"}))
    site = {"code": "HA-SITE", "name": "Cabrini community room", "type": "partner_site",
            "branch": "MAIN", "address": "1230 N Larrabee St"}  # fmt: skip
    await ok(await api.as_(admin, "POST", "/api/service-points", json=site))
    await ok(await api.as_(admin, "POST", "/api/programs", json={**PROGRAM, **program}))
    return await api.staff("ha-staff", "partner", partner="HACC")


async def ready(api, who: dict[str, str], card: str, *, session: int | None = None) -> int:
    """Enrol `card` (lease verified, statement signed), attend the orientation, sign."""
    await ok(await api.as_(who, "POST", "/api/programs/CH-HA/enrolments",
                           json={"patron": card, "method": "housing_lease", "attested": True}))  # fmt: skip
    if session is None:
        body = {"topic": "Orientation", "starts_at": "2026-12-01T09:00:00-06:00", "hours": 1,
                "capacity": 20, "service_point": "HA-SITE"}  # fmt: skip
        session = (await ok(await api.as_(who, "POST", "/api/programs/CH-HA/sessions",
                                          json=body)))["id"]  # fmt: skip
    await ok(await api.as_(who, "POST", f"/api/programs/CH-HA/sessions/{session}/attendance",
                           json={"patron": card}))  # fmt: skip
    await ok(await api.as_(who, "POST", "/api/programs/CH-HA/agreements",
                           json={"patron": card, "signature_kind": "typed", "signature": "Ana"}))  # fmt: skip
    return session


async def checkout(api, who, card: str, device: str, **extra: Any):
    return await api.as_(
        who, "POST", "/api/checkout", json={"patron": card, "device": device, **extra}
    )


async def test_partner_staff_enrol_train_sign_and_lend_a_year_at_the_housing_site(
    api, library, problem_code
):
    partner = await housing_authority(api)
    await ok(await api.as_(partner, "POST", "/api/programs/CH-HA/enrolments",
                           json={"patron": "P001", "method": "housing_lease", "attested": True}))  # fmt: skip
    r = await checkout(api, partner, "P001", "DEV001")
    assert problem_code(r, 409) == "training_required"
    assert r.json()["facts"] == {"required": 1.0, "done": 0.0}

    body = {"topic": "Orientation", "starts_at": "2026-12-01T09:00:00-06:00", "hours": 1,
            "capacity": 20, "service_point": "HA-SITE"}  # fmt: skip
    session = await ok(await api.as_(partner, "POST", "/api/programs/CH-HA/sessions", json=body))
    scanned = await ok(await api.as_(
        partner, "POST", f"/api/programs/CH-HA/sessions/{session['id']}/attendance",
        json={"patron": "P001"}))  # fmt: skip
    assert scanned["training_hours"] == 1.0 and scanned["attended_at"] is not None
    assert problem_code(await checkout(api, partner, "P001", "DEV001"), 409) == (
        "agreement_required"
    )

    drawn = {"patron": "P001", "signature_kind": "drawn", "signature": "M 10 10 L 40 12 L 80 30"}
    enrolment = await ok(await api.as_(partner, "POST", "/api/programs/CH-HA/agreements",
                                       json=drawn))  # fmt: skip
    assert enrolment["ready"] is True and enrolment["agreement"]["expires_on"] == "2027-12-01"
    assert enrolment["verified_by"] == "ha-staff"

    loan = (await ok(await checkout(api, partner, "P001", "DEV001")))["loan"]
    assert loan["program"] == "CH-HA" and loan["service_point"] == "HA-SITE"
    assert loan["due_at"].startswith("2027-12-01")  # 365 days, the program's term

    # Ben shares Ana's household: one device per household under the program.
    await ready(api, partner, "P002", session=session["id"])
    r = await checkout(api, partner, "P002", "DEV002")
    assert problem_code(r, 409) == "loan_limit_reached"
    assert r.json()["facts"]["scope"] == "program_household"

    report = await ok(await api.as_(partner, "GET", "/api/programs/CH-HA/report?month=2026-12"))
    assert report["suppressed"] is True
    whole = report["rows"][0]
    assert whole["service_point"] is None
    assert (whole["loans"], whole["households"], whole["attendance"]) == ("<5", "<5", "<5")
    assert whole["devices"] == 40
    site = [row for row in report["rows"] if row["service_point"] == "HA-SITE"]
    assert site and site[0]["loans"] == "<5"

    admin_view = await ok(await api.as_(api.headers["admin"], "GET",
                                        "/api/programs/CH-HA/report?month=2026-12"))  # fmt: skip
    assert admin_view["rows"][0]["loans"] == 1 and admin_view["rows"][0]["attendance"] == 2


async def test_each_requirement_refuses_with_its_own_code(api, library, problem_code, clock):
    desk = api.headers["desk"]
    await housing_authority(api, attestation_required=True)
    r = await checkout(api, desk, "P003", "DEV003", program="CH-HA", service_point="HA-SITE")
    assert problem_code(r, 409) == "not_enrolled"
    await ok(await api.as_(desk, "POST", "/api/programs/CH-HA/enrolments",
                           json={"patron": "P003", "method": "caseworker_referral",
                                 "expires_on": "2026-12-31"}))  # fmt: skip
    r = await checkout(api, desk, "P003", "DEV003", service_point="HA-SITE")
    assert problem_code(r, 409) == "attestation_required"  # the patron's only program applies
    await ok(await api.as_(desk, "PATCH", "/api/programs/CH-HA/enrolments/P003",
                           json={"attested": True}))  # fmt: skip
    r = await checkout(api, desk, "P003", "DEV003", service_point="MAIN")
    assert problem_code(r, 409) == "program_not_here"
    r = await checkout(api, desk, "P003", "DEV004", program="CH-HA")
    assert problem_code(r, 409) == "kind_not_in_program"
    clock.advance(days=31)
    desk = api.headers["desk"] = await api.login(username="desk", password="correct-horse")
    r = await checkout(api, desk, "P003", "DEV003", program="CH-HA")
    assert problem_code(r, 409) == "enrolment_expired"
    clock.advance(days=300)
    desk = await api.login(username="desk", password="correct-horse")
    r = await checkout(api, desk, "P003", "DEV003", program="CH-HA")
    assert problem_code(r, 409) == "program_ended"
    # None of these lent anything.
    assert (await ok(await api.as_(desk, "GET", "/api/loans")))["total"] == 0


async def test_a_device_in_a_programs_stock_is_lent_only_under_it_and_the_quota_holds(
    api, library, problem_code
):
    desk, admin = api.headers["desk"], api.headers["admin"]
    await housing_authority(api, training_hours=0, agreement_version=None,
                            terms={"hotspot": {"loan_days": 180, "quota": 1,
                                               "max_renewals": 0}})  # fmt: skip
    stock = await ok(await api.as_(admin, "POST", "/api/programs/CH-HA/stock",
                                   json={"devices": ["DEV001"]}))  # fmt: skip
    assert stock["assigned"] == ["DEV001"]
    # Not enrolled: the program's device is not lent outside it.
    assert problem_code(await checkout(api, desk, "P003", "DEV001"), 409) == "not_enrolled"
    for card in ("P001", "P003"):
        await ok(await api.as_(desk, "POST", "/api/programs/CH-HA/enrolments",
                               json={"patron": card, "method": "school", "attested": True}))  # fmt: skip
    # An enrolled patron borrowing a library device outside the stock is refused under the program.
    r = await checkout(api, desk, "P001", "DEV002")
    assert problem_code(r, 409) == "device_in_other_program"
    loan = (await ok(await checkout(api, desk, "P001", "DEV001")))["loan"]
    assert loan["program"] == "CH-HA"
    r = await api.as_(desk, "POST", f"/api/loans/{loan['id']}/renew")
    assert problem_code(r, 409) == "renewal_limit_reached"  # the program's term: no renewals

    await ok(await api.as_(admin, "DELETE", "/api/programs/CH-HA/stock/DEV001"))
    r = await checkout(api, desk, "P003", "DEV002", program="CH-HA")
    assert problem_code(r, 409) == "program_stock_exhausted"  # quota 1, one out
    await ok(await api.as_(desk, "POST", "/api/checkin", json={"device": "DEV001"}))
    assert (await ok(await checkout(api, desk, "P003", "DEV002", program="CH-HA")))["loan"][
        "program"
    ] == "CH-HA"


async def test_partner_staff_reach_only_their_partners_programs(api, library, problem_code):
    admin, desk = api.headers["admin"], api.headers["desk"]
    partner = await housing_authority(api)
    await ok(await api.as_(admin, "POST", "/api/partners", json={"code": "YMCA", "name": "Y"}))
    other = {**PROGRAM, "code": "Y-LAP", "partners": ["YMCA"], "points": [], "kinds": ["laptop"],
             "terms": {}}  # fmt: skip
    await ok(await api.as_(admin, "POST", "/api/programs", json=other))

    listed = await ok(await api.as_(partner, "GET", "/api/programs"))
    assert [p["code"] for p in listed["items"]] == ["CH-HA"]
    assert problem_code(await api.as_(partner, "GET", "/api/programs/Y-LAP"), 404) == (
        "program_not_found"
    )
    r = await api.as_(partner, "POST", "/api/programs/Y-LAP/enrolments",
                      json={"patron": "P003", "method": "school"})  # fmt: skip
    assert problem_code(r, 404) == "program_not_found"
    assert problem_code(await api.as_(partner, "GET", "/api/patrons"), 403) == "forbidden"
    assert problem_code(await api.as_(partner, "GET", "/api/devices"), 403) == "forbidden"
    # A checkout outside their programs, and a checkin of the library's own loan, are refused.
    assert problem_code(await checkout(api, partner, "P003", "DEV004"), 409) == "not_enrolled"
    await ok(await checkout(api, desk, "P003", "DEV004"))
    r = await api.as_(partner, "POST", "/api/checkin", json={"device": "DEV004"})
    assert problem_code(r, 403) == "forbidden"
    assert (await ok(await api.as_(partner, "GET", "/api/partners")))["items"] == [
        {"code": "HACC", "name": "CHA"}
    ]


async def test_the_funder_inventory_lists_each_loan_without_names(api, library):
    partner = await housing_authority(api)
    await ready(api, partner, "P003")
    await ok(await checkout(api, partner, "P003", "DEV003"))
    export = await ok(await api.as_(partner, "GET", "/api/programs/CH-HA/inventory"))
    (row,) = export["rows"]
    assert row["device_type"] == "hotspot" and row["serial_number"] == "SN3"
    assert row["borrower"].startswith("CH-HA-") and row["attested"] is True
    assert row["checked_out_on"] == "2026-12-01" and row["returned_on"] is None
    csv = await api.as_(partner, "GET", "/api/programs/CH-HA/inventory?format=csv")
    assert csv.status_code == 200 and "Cy" not in csv.text and "P003" not in csv.text
    assert csv.text.splitlines()[0].startswith("program,device_type,make_model,serial_number")
    chart = await api.as_(partner, "GET", "/api/programs/report?month=2026-12&format=svg")
    assert chart.status_code == 200 and chart.text.startswith("<svg")


@pytest.mark.parametrize(
    "body, field",
    [
        ({**PROGRAM, "ends_on": "2026-01-01"}, "ends_on"),
        ({**PROGRAM, "partners": ["NOPE"]}, "partners"),
        ({**PROGRAM, "points": ["NOWHERE"]}, "points"),
        ({**PROGRAM, "kinds": ["toaster"]}, "kinds[0]"),
        ({**PROGRAM, "terms": {"laptop": {"loan_days": 30}}}, "terms.laptop"),
        ({**PROGRAM, "terms": {"hotspot": {"loan_days": 0}}}, None),
        ({**PROGRAM, "code": "x" * 33}, "code"),
        ({**PROGRAM, "name": ""}, "name"),
    ],
)
async def test_a_bad_program_is_refused_and_nothing_is_written(api, library, body, field):
    admin = api.headers["admin"]
    await ok(await api.as_(admin, "POST", "/api/partners", json={"code": "HACC", "name": "CHA"}))
    site = {"code": "HA-SITE", "name": "Site", "type": "partner_site", "branch": "MAIN"}
    await ok(await api.as_(admin, "POST", "/api/service-points", json=site))
    r = await api.as_(admin, "POST", "/api/programs", json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    if field:
        assert field in {e["field"] for e in r.json()["errors"]}
    assert (await ok(await api.as_(admin, "GET", "/api/programs")))["total"] == 0


async def test_bad_enrolments_signatures_and_sessions_are_refused(api, library, problem_code):
    partner = await housing_authority(api)
    post = "/api/programs/CH-HA/"
    cases = [
        ("enrolments", {"patron": "P001", "method": "rumour"}, 422),
        ("enrolments", {"patron": "P001", "method": "school", "verified_on": "2027-01-01"}, 422),
        ("enrolments", {"patron": "NOPE", "method": "school"}, 404),
        ("agreements", {"patron": "P001", "signature_kind": "typed", "signature": "Ana"}, 409),
        (
            "sessions",
            {"topic": "T", "starts_at": "2026-12-02T10:00:00", "hours": 1, "capacity": 5},
            422,
        ),  # fmt: skip
        (
            "sessions",
            {"topic": "T", "starts_at": "2026-12-02T10:00:00Z", "hours": 0, "capacity": 5},
            422,
        ),  # fmt: skip
        (
            "sessions",
            {
                "topic": "T",
                "starts_at": "2026-12-02T10:00:00Z",
                "hours": 1,
                "capacity": 5,
                "service_point": "MAIN",
            },
            403,
        ),  # fmt: skip
    ]
    for path, body, status in cases:
        r = await api.as_(partner, "POST", post + path, json=body)
        assert r.status_code == status, (path, body, r.text)
    await ok(await api.as_(partner, "POST", post + "enrolments",
                           json={"patron": "P001", "method": "school"}))  # fmt: skip
    hostile = {"patron": "P001", "signature_kind": "drawn", "signature": "<script>alert(1)"}
    r = await api.as_(partner, "POST", post + "agreements", json=hostile)
    assert problem_code(r, 422) == "validation_error"
    r = await api.as_(partner, "POST", post + "enrolments",
                      json={"patron": "P001", "method": "school"})  # fmt: skip
    assert r.status_code == 409
    participants = await ok(await api.as_(partner, "GET", post + "enrolments"))
    (only,) = participants["items"]
    assert only["agreement"] is None and only["refusal"] == "attestation_required"


async def test_a_full_session_refuses_another_sign_up(api, library, problem_code):
    desk = api.headers["desk"]
    await housing_authority(api)
    body = {"topic": "Email basics", "starts_at": "2026-12-03T18:00:00Z", "hours": 2,
            "capacity": 1}  # fmt: skip
    session = await ok(await api.as_(desk, "POST", "/api/programs/CH-HA/sessions", json=body))
    url = f"/api/programs/CH-HA/sessions/{session['id']}/signups"
    await ok(await api.as_(desk, "POST", url, json={"patron": "P001"}))
    await ok(await api.as_(desk, "POST", url, json={"patron": "P001"}))  # again: no change
    assert problem_code(await api.as_(desk, "POST", url, json={"patron": "P002"}), 409) == (
        "session_full"
    )
    sessions = await ok(await api.as_(desk, "GET", "/api/programs/CH-HA/sessions"))
    assert sessions["items"][0]["signed_up"] == 1 and sessions["items"][0]["attended"] == 0


async def test_after_a_program_ends_its_enrolments_agreements_and_attendance_lose_their_patrons(
    api, library, clock
):
    from lending.jobs import run_job
    from lending.settings import Settings
    from lending.tables import Agreement, Attendance, Enrolment, Event

    settings = Settings(timezone="America/Chicago", program_anonymize_after_days=30)
    await housing_authority(api, ends_on="2026-12-31")
    await ready(api, api.headers["admin"], "P001")
    counts = {"anonymized_enrolments": 0, "anonymized_agreements": 0, "anonymized_attendance": 0}

    summary = (await run_job("anonymize", clock.now, settings)).summary
    assert {k: summary[k] for k in counts} == counts  # the program is still running
    clock.advance(days=30 + 30)  # 2027-01-30: ended 30 days ago, not more
    summary = (await run_job("anonymize", clock.now, settings)).summary
    assert summary["anonymized_enrolments"] == 0
    clock.advance(days=2)
    summary = (await run_job("anonymize", clock.now, settings)).summary
    assert {k: summary[k] for k in counts} == dict.fromkeys(counts, 1)

    [enrolment] = await Enrolment.select()
    assert enrolment["patron"] is None and enrolment["household"] is None
    assert enrolment["method"] == "housing_lease" and enrolment["attested"] is True
    [agreement] = await Agreement.select()
    assert agreement["patron"] is None and agreement["signature"] == ""
    assert agreement["version"] == "2026-1"
    assert [a["patron"] for a in await Attendance.select()] == [None]
    program_events = await Event.select().where(
        Event.action.is_in(["enrolled", "agreement_signed", "training_attended"])
    )
    assert len(program_events) == 3
    assert all(e["patron_card"] is None and e["subject"] != "P001" for e in program_events)
    # Nothing left to do: a second run changes nothing.
    summary = (await run_job("anonymize", clock.now, settings)).summary
    assert {k: summary[k] for k in counts} == counts
