"""Service lines, data plans and jobs through the admin API."""

from lending.circulation import luhn_check_digit


def iccid(serial: int) -> str:
    body = f"890141{serial:013d}"
    return body + str(luhn_check_digit(body))


async def _plan(api):
    r = await api.client.post(
        "/api/plans",
        json={
            "carrier": "T-Mobile",
            "name": "Unlimited 4G",
            "monthly_cost": 15,
            "term_end": "2026-12-20",
        },
        headers=api.headers["admin"],
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_admin_adds_a_line_to_a_hotspot_and_the_device_shows_it(api, library):
    plan = await _plan(api)
    r = await api.client.post(
        "/api/lines",
        json={
            "iccid": iccid(1),
            "phone_number": "(555) 010-0100",
            "carrier": "T-Mobile",
            "plan": plan["id"],
            "device": "DEV001",
        },
        headers=api.headers["admin"],
    )
    assert r.status_code == 201, r.text
    line = r.json()
    assert line["phone_number"] == "+15550100100" and line["status"] == "active"
    assert line["device"] == "DEV001" and line["plan_name"] == "Unlimited 4G"
    device = (await api.client.get("/api/devices/DEV001", headers=api.headers["desk"])).json()
    assert device["line"]["iccid"] == iccid(1)


async def test_moving_a_sim_to_another_device_keeps_its_history(api, library):
    await api.client.post(
        "/api/lines",
        json={
            "iccid": iccid(2),
            "phone_number": "+15550100102",
            "carrier": "AT&T",
            "device": "DEV001",
        },
        headers=api.headers["admin"],
    )
    r = await api.client.post(
        f"/api/lines/{iccid(2)}/move", json={"device": "DEV002"}, headers=api.headers["admin"]
    )
    assert r.status_code == 200, r.text
    moves = r.json()["moves"]
    assert [(m["from_device"], m["to_device"]) for m in moves] == [
        (None, "DEV001"),
        ("DEV001", "DEV002"),
    ]
    listed = (
        await api.client.get("/api/lines?carrier=AT%26T", headers=api.headers["admin"])
    ).json()
    assert listed["total"] == 1 and listed["items"][0]["device"] == "DEV002"


async def test_bad_iccid_imei_and_phone_numbers_get_clear_field_errors(api, library):
    admin = api.headers["admin"]
    bad_luhn = iccid(3)[:-1] + str((int(iccid(3)[-1]) + 1) % 10)
    for body, field in [
        ({"iccid": bad_luhn, "phone_number": "+15550100103", "carrier": "T"}, "iccid"),
        ({"iccid": "8901", "phone_number": "+15550100103", "carrier": "T"}, "iccid"),
        ({"iccid": iccid(3), "phone_number": "call me", "carrier": "T"}, "phone_number"),
    ]:
        r = await api.client.post("/api/lines", json=body, headers=admin)
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "validation_error"
        assert r.json()["errors"][0]["field"] == field
    r = await api.client.post(
        "/api/devices",
        json={
            "barcode": "HS9",
            "kind": "hotspot",
            "model": "M",
            "serial_number": "S",
            "branch": "MAIN",
            "imei": "490154203237519",
        },
        headers=admin,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "imei"
    assert (await api.client.get("/api/lines", headers=admin)).json()["total"] == 0


async def test_a_second_line_in_the_same_device_or_a_duplicate_iccid_is_refused(api, library):
    admin = api.headers["admin"]
    first = {"iccid": iccid(4), "phone_number": "+15550100104", "carrier": "T", "device": "DEV003"}
    assert (await api.client.post("/api/lines", json=first, headers=admin)).status_code == 201
    again = await api.client.post(
        "/api/lines", json={**first, "phone_number": "+15550100105"}, headers=admin
    )
    assert again.status_code == 409 and again.json()["code"] == "duplicate_iccid"
    other = {"iccid": iccid(5), "phone_number": "+15550100106", "carrier": "T", "device": "DEV003"}
    r = await api.client.post("/api/lines", json=other, headers=admin)
    assert r.status_code == 409 and r.json()["code"] == "device_has_line"


async def test_desk_staff_cannot_manage_lines_or_run_jobs(api, library):
    desk = api.headers["desk"]
    assert (await api.client.get("/api/lines", headers=desk)).status_code == 403
    assert (await api.client.post("/api/jobs/overdue/run", headers=desk)).status_code == 403


async def test_admin_runs_a_job_as_of_a_time_and_sees_the_run_recorded(api, library):
    admin = api.headers["admin"]
    r = await api.client.post(
        "/api/jobs/overdue/run", json={"now": "2027-01-30T09:00:00-06:00"}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert r.json()["summary"] == {"queued": 0}
    runs = (await api.client.get("/api/jobs", headers=admin)).json()
    assert runs["items"][0]["job"] == "overdue" and runs["items"][0]["trigger"] == "api"
    assert runs["items"][0]["now"] == "2027-01-30T09:00:00-06:00"
    assert "deliver_notices" in runs["jobs"]


async def test_an_unknown_job_is_a_404_and_nothing_is_recorded(api, library):
    admin = api.headers["admin"]
    r = await api.client.post("/api/jobs/make_coffee/run", headers=admin)
    assert r.status_code == 404 and r.json()["code"] == "job_not_found"
    assert (await api.client.get("/api/jobs", headers=admin)).json()["total"] == 0
