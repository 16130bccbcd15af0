async def test_health_answers_ok_without_a_token(client):
    r = await client.get("/api/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok"}


async def test_desk_checks_a_hotspot_out_and_back_in(api, library, clock):
    desk = api.headers["desk"]
    r = await api.client.post(
        "/api/checkout", json={"patron": "P001", "device": "DEV001\r\n"}, headers=desk
    )
    assert r.status_code == 201, r.text
    loan = r.json()["loan"]
    assert loan["due_at"] == "2026-12-22T23:59:59-06:00"
    r = await api.client.post("/api/checkin", json={"device": "DEV001"}, headers=desk)
    assert r.status_code == 200, r.text
    assert r.json()["device"]["status"] == "available"
