"""Staff accounts can be deactivated, reactivated and given a new password, and a closed date
can be removed, through the API as well as the admin pages (the same services)."""

from __future__ import annotations


async def test_a_deactivated_account_cannot_log_in_and_its_token_stops_working(api, problem_code):
    clerk = await api.staff("clerk", "desk", password="clerk-password")
    r = await api.as_(api.headers["admin"], "PATCH", "/api/staff/clerk", json={"active": False})
    assert r.status_code == 200, r.text
    assert r.json() == {"username": "clerk", "role": "desk", "active": False, "partner": None}

    assert (await api.as_(clerk, "GET", "/api/devices")).status_code == 401
    r = await api.client.post(
        "/api/auth/token", json={"username": "clerk", "password": "clerk-password"}
    )
    assert r.status_code == 401

    r = await api.as_(api.headers["admin"], "PATCH", "/api/staff/clerk", json={"active": True})
    assert r.json()["active"] is True
    await api.login(username="clerk", password="clerk-password")
    events = await api.as_(api.headers["admin"], "GET", "/api/events?subject=clerk")
    actions = [e["action"] for e in events.json()["items"]]
    assert "staff_deactivated" in actions and "staff_reactivated" in actions


async def test_an_admin_cannot_deactivate_their_own_account(api, problem_code):
    r = await api.as_(api.headers["admin"], "PATCH", "/api/staff/admin", json={"active": False})
    assert problem_code(r, 409) == "cannot_deactivate_self"


async def test_a_new_password_replaces_the_old_one(api, problem_code):
    await api.staff("clerk", "desk", password="old-password")
    r = await api.as_(
        api.headers["admin"], "PUT", "/api/staff/clerk/password", json={"password": "new-password"}
    )
    assert r.status_code == 200, r.text
    old = await api.client.post(
        "/api/auth/token", json={"username": "clerk", "password": "old-password"}
    )
    assert old.status_code == 401
    await api.login(username="clerk", password="new-password")


async def test_bad_staff_requests_get_clear_errors(api, problem_code):
    admin = api.headers["admin"]
    r = await api.as_(admin, "PATCH", "/api/staff/nobody", json={"active": False})
    assert problem_code(r, 404) == "staff_not_found"
    r = await api.as_(admin, "PATCH", "/api/staff/desk", json={"active": "no"})
    assert r.status_code == 422
    r = await api.as_(admin, "PUT", "/api/staff/desk/password", json={"password": "short"})
    assert r.status_code == 422
    r = await api.as_(api.headers["desk"], "PATCH", "/api/staff/desk", json={"active": False})
    assert r.status_code == 403


async def test_a_removed_closed_date_is_open_again(api, library, problem_code):
    admin = api.headers["admin"]
    r = await api.as_(
        admin, "POST", "/api/branches/MAIN/closures", json={"date": "2026-12-24", "reason": "Eve"}
    )
    assert r.status_code in (200, 201), r.text

    r = await api.as_(admin, "DELETE", "/api/branches/MAIN/closures/2026-12-24")
    assert r.status_code == 200, r.text
    assert r.json() == {"branch": "MAIN", "date": "2026-12-24", "reason": "Eve"}
    r = await api.as_(admin, "DELETE", "/api/branches/MAIN/closures/2026-12-24")
    assert problem_code(r, 404) == "closure_not_found"
    r = await api.as_(admin, "DELETE", "/api/branches/MAIN/closures/24-12-2026")
    assert r.status_code == 422
    r = await api.as_(api.headers["desk"], "DELETE", "/api/branches/MAIN/closures/2026-12-25")
    assert r.status_code == 403
