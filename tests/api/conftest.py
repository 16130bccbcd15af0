"""Helpers for the circulation API tests: a desk that speaks HTTP and checks problem bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest


def _problem_code(response: Any, status: int) -> str:
    """The problem+json `code` of a refusal, after checking its status and media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    return body["code"]


class Desk:
    """Circulation through HTTP as the desk (or admin) account of the `api` fixture."""

    def __init__(self, api: Any, clock: Any) -> None:
        self.api = api
        self.clock = clock
        self.client = api.client
        self.desk = api.headers["desk"]
        self.admin = api.headers["admin"]

    problem = staticmethod(_problem_code)

    async def travel(self, to: datetime | None = None, **delta: float) -> None:
        """Move the pinned clock and log the staff accounts in again (tokens last 12 hours)."""
        if to is not None:
            self.clock.now = to
        else:
            self.clock.advance(**delta)
        self.desk = self.api.headers["desk"] = await self.api.login(
            username="desk", password="correct-horse"
        )
        self.admin = self.api.headers["admin"] = await self.api.login(
            username="admin", password="correct-horse"
        )

    async def checkout(self, patron: str, device: str) -> Any:
        return await self.client.post(
            "/api/checkout", json={"patron": patron, "device": device}, headers=self.desk
        )

    async def checked_out(self, patron: str, device: str) -> dict[str, Any]:
        r = await self.checkout(patron, device)
        assert r.status_code == 201, r.text
        return r.json()["loan"]

    async def checkin(self, device: str) -> Any:
        return await self.client.post("/api/checkin", json={"device": device}, headers=self.desk)

    async def checked_in(self, device: str) -> dict[str, Any]:
        r = await self.checkin(device)
        assert r.status_code == 200, r.text
        return r.json()

    async def renew(self, loan_id: int) -> Any:
        return await self.client.post(f"/api/loans/{loan_id}/renew", headers=self.desk)

    async def place_hold(self, patron: str, kind: str = "hotspot", branch: str = "MAIN") -> Any:
        return await self.client.post(
            "/api/holds", json={"patron": patron, "kind": kind, "branch": branch}, headers=self.desk
        )

    async def hold(self, patron: str, kind: str = "hotspot", branch: str = "MAIN") -> dict:
        r = await self.place_hold(patron, kind, branch)
        assert r.status_code == 201, r.text
        return r.json()

    async def holds(self, **params: Any) -> dict[str, Any]:
        r = await self.client.get("/api/holds", params=params, headers=self.desk)
        assert r.status_code == 200, r.text
        return r.json()

    async def cancel_hold(self, hold_id: int) -> Any:
        return await self.client.delete(f"/api/holds/{hold_id}", headers=self.desk)

    async def loans(self, **params: Any) -> dict[str, Any]:
        r = await self.client.get("/api/loans", params=params, headers=self.desk)
        assert r.status_code == 200, r.text
        return r.json()

    async def device(self, barcode: str) -> dict[str, Any]:
        r = await self.client.get(f"/api/devices/{barcode}", headers=self.desk)
        assert r.status_code == 200, r.text
        return r.json()

    async def add_device(self, barcode: str, kind: str = "hotspot", branch: str = "MAIN") -> dict:
        r = await self.client.post(
            "/api/devices",
            json={
                "barcode": barcode,
                "kind": kind,
                "model": f"Model {kind}",
                "serial_number": f"SN-{barcode}",
                "branch": branch,
            },
            headers=self.admin,
        )
        assert r.status_code == 201, r.text
        return r.json()

    async def set_device_status(self, barcode: str, status: str) -> Any:
        return await self.client.patch(
            f"/api/devices/{barcode}", json={"status": status}, headers=self.admin
        )

    async def patch_patron(self, card: str, *, by: str = "desk", **changes: Any) -> dict[str, Any]:
        """Change a patron as the desk, or `by="admin"` for what needs a supervisor."""
        headers = self.admin if by == "admin" else self.desk
        r = await self.client.patch(f"/api/patrons/{card}", json=changes, headers=headers)
        assert r.status_code == 200, r.text
        return r.json()

    async def close_branch(self, day: str, branch: str = "MAIN", reason: str = "Holiday") -> None:
        r = await self.client.post(
            f"/api/branches/{branch}/closures",
            json={"date": day, "reason": reason},
            headers=self.admin,
        )
        assert r.status_code == 201, r.text

    async def set_policy(self, kind: str, **values: Any) -> dict[str, Any]:
        r = await self.client.put(f"/api/policies/{kind}", json=values, headers=self.admin)
        assert r.status_code == 200, r.text
        return r.json()

    async def events(self, **params: Any) -> list[dict[str, Any]]:
        """The audit trail (GET /api/events), newest first."""
        r = await self.client.get(
            "/api/events", params={"limit": 500, **params}, headers=self.admin
        )
        assert r.status_code == 200, r.text
        return r.json()["items"]


@pytest.fixture
def problem_code():
    """`problem_code(response, status)`: the problem+json code, status and media type checked."""
    return _problem_code


@pytest.fixture
async def desk(api: Any, library: dict[str, Any], clock: Any) -> Desk:
    """The `library` fixture's branches, devices and patrons, worked through HTTP."""
    return Desk(api, clock)
