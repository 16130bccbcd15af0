"""GET /api/health/details: what an operator checks at a glance (admins only), while
GET /api/health stays the cheap, open check a load balancer polls."""

from __future__ import annotations


async def test_an_admin_sees_database_migrations_jobs_delivery_and_version(api, library, clock):
    r = await api.client.post(
        "/api/jobs/overdue/run", json={"now": clock.now.isoformat()}, headers=api.headers["admin"]
    )
    assert r.status_code == 200, r.text
    r = await api.client.get("/api/health/details", headers=api.headers["admin"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["version"] == "0.1.0" and body["migrations_pending"] == []
    assert body["database"] in ("sqlite", "postgresql")
    overdue = next(j for j in body["jobs"] if j["job"] == "overdue")
    assert overdue["last_success_at"] is not None and overdue["last_error"] is None
    delivery = body["delivery"]
    assert delivery["email_set_up"] is False and delivery["problems"]  # no SMTP in tests
    assert delivery["carrier_gateway"] == "manual" and delivery["carrier_actions_failed"] == 0
    assert body["status"] == "ok"


async def test_a_failing_job_makes_the_instance_degraded(api, library, clock):
    from lending.tables import Device

    await Device.update({Device.status: "on_hold_shelf"}).where(Device.barcode == "DEV001")
    r = await api.client.post(
        "/api/jobs/check/run", json={"now": clock.now.isoformat()}, headers=api.headers["admin"]
    )
    assert r.json()["error"]
    body = (await api.client.get("/api/health/details", headers=api.headers["admin"])).json()
    assert body["status"] == "degraded"
    check = next(j for j in body["jobs"] if j["job"] == "check")
    assert check["last_error"].startswith("1 inconsistencies") and check["last_success_at"] is None


async def test_only_admins_get_the_details_and_anyone_gets_the_cheap_check(api, library):
    r = await api.client.get("/api/health/details", headers=api.headers["desk"])
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert (await api.client.get("/api/health/details")).status_code == 401
    r = await api.client.get("/api/health")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok"}
