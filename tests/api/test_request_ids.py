"""Every request has an id (its sane X-Request-ID, or a new one): it comes back on the response,
in problem bodies, on the audit events the request wrote and on its JSON log lines, so a desk's
complaint can be traced from the error it saw to what happened."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from live_server import LENDING, server_env
from scratch_postgres import free_port

NEW_ID = re.compile(r"[0-9a-f]{32}")


def request_id(response: httpx.Response) -> str:
    value = response.headers.get("x-request-id")
    assert value, f"no X-Request-ID on {response.request.method} {response.request.url}"
    return value


# ---- the header ------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["desk-7", "a", "kiosk:2.front_door-001", "x" * 64])
async def test_a_sane_request_id_the_client_sends_comes_back_on_the_response(client, given):
    r = await client.get("/api/health", headers={"X-Request-ID": given})

    assert r.status_code == 200
    assert request_id(r) == given


@pytest.mark.parametrize("given", ["", "has spaces", "x" * 65, "a/b", "<script>", "ümlaut"])
async def test_an_unusable_request_id_is_replaced_by_a_new_one(client, given):
    r = await client.get("/api/health", headers={"X-Request-ID": given.encode()})

    assert NEW_ID.fullmatch(request_id(r))


async def test_every_response_gets_a_new_request_id_when_none_is_sent_errors_and_pages_included(
    client,
):
    responses = [
        await client.get("/api/health"),
        await client.get("/api/no-such-thing"),  # 404 from the router
        await client.delete("/api/health"),  # 405
        await client.get("/api/loans"),  # 401 from a guard
        await client.get("/login"),  # a page
        await client.get("/desk", follow_redirects=False),  # a page's login redirect
        await client.get("/no-such-page", headers={"Accept": "text/html"}),  # an error page
    ]

    ids = [request_id(r) for r in responses]
    assert all(NEW_ID.fullmatch(i) for i in ids)
    assert len(set(ids)) == len(ids)


# ---- problem bodies --------------------------------------------------------------------


async def test_a_refused_checkout_names_in_its_problem_the_request_id_of_its_response(
    desk, problem_code
):
    await desk.checked_out("P001", "DEV001")

    r = await desk.client.post(
        "/api/checkout",
        json={"patron": "P003", "device": "DEV001"},
        headers={**desk.desk, "X-Request-ID": "desk-complaint-1"},
    )

    assert problem_code(r, 409) == "device_unavailable"
    assert r.json()["request_id"] == request_id(r) == "desk-complaint-1"


async def test_framework_errors_name_the_request_id_too(client, problem_code):
    for r in (
        await client.get("/api/no-such-thing"),
        await client.get("/api/loans"),
        await client.post("/api/auth/token", content=b"{not json"),
    ):
        problem_code(r, r.status_code)
        assert r.json()["request_id"] == request_id(r)


# ---- the audit trail -------------------------------------------------------------------


@pytest.fixture
def hot_path_replies(database, monkeypatch):
    """What the PostgreSQL hot path answered (None: it handed over to the general path)."""
    from lending.services.circulation import hot_path

    answered: list[object] = []
    for name in ("check_out", "check_in", "renew"):
        original = getattr(hot_path, name)

        async def spy(*args, _original=original, **kwargs):
            actor, reply = await _original(*args, **kwargs)
            answered.append(reply)
            return actor, reply

        monkeypatch.setattr(hot_path, name, spy)
    return answered


async def test_checkout_renewal_and_checkin_store_their_request_ids_on_their_audit_events(
    desk, database, hot_path_replies
):
    def as_(rid: str) -> dict[str, str]:
        return {**desk.desk, "X-Request-ID": rid}

    r = await desk.client.post(
        "/api/checkout", json={"patron": "P003", "device": "DEV001"}, headers=as_("rid-out")
    )
    assert r.status_code == 201, r.text
    loan = r.json()["loan"]
    r = await desk.client.post(f"/api/loans/{loan['id']}/renew", headers=as_("rid-renew"))
    assert r.status_code == 200, r.text
    r = await desk.client.post("/api/checkin", json={"device": "DEV001"}, headers=as_("rid-in"))
    assert r.status_code == 200, r.text

    events = {e["action"]: e for e in await desk.events(subject="DEV001")}
    assert events["checkout"]["request_id"] == "rid-out"
    assert events["renew"]["request_id"] == "rid-renew"
    assert events["checkin"]["request_id"] == "rid-in"
    if database.kind == "postgres":  # the hot path's raw statements wrote them
        assert len(hot_path_replies) == 3 and None not in hot_path_replies


async def test_a_device_edit_stores_its_request_id_on_its_audit_event(desk):
    r = await desk.client.patch(
        "/api/devices/DEV002",
        json={"status": "in_repair"},
        headers={**desk.admin, "X-Request-ID": "rid-edit"},
    )
    assert r.status_code == 200, r.text

    [edit] = await desk.events(subject="DEV002", action="device_updated")
    assert edit["request_id"] == request_id(r) == "rid-edit"


async def test_a_change_made_outside_a_request_has_no_request_id(api):
    # The `api` fixture adds its staff accounts by calling the service, not over HTTP.
    r = await api.client.get(
        "/api/events", params={"action": "staff_added"}, headers=api.headers["admin"]
    )

    assert r.status_code == 200, r.text
    assert {e["subject"] for e in r.json()["items"]} == {"admin", "desk"}
    assert all(e["request_id"] is None for e in r.json()["items"])


# ---- the logs of a real server ---------------------------------------------------------


def _serve_with_json_logs(tmp_path: Path) -> tuple[subprocess.Popen, str, Path]:
    url = f"sqlite:///{tmp_path / 'lending.sqlite3'}"
    env = server_env(url, LENDING_LOG_FORMAT="json")
    migrated = subprocess.run(
        [LENDING, "migrate"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    stderr = tmp_path / "stderr.log"
    with stderr.open("wb") as err:
        process = subprocess.Popen(
            [LENDING, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=err,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return process, f"http://127.0.0.1:{port}", stderr


def _wait_for(base_url: str, process: subprocess.Popen, stderr: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, stderr.read_text()
        try:
            if httpx.get(f"{base_url}/api/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    pytest.fail(f"the server did not start:\n{stderr.read_text()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def test_lending_serve_with_json_logs_writes_json_lines_with_the_request_id_of_each_request(
    tmp_path,
):
    process, base_url, stderr = _serve_with_json_logs(tmp_path)
    try:
        _wait_for(base_url, process, stderr)
        given = httpx.get(
            f"{base_url}/api/health?card=29876543210123", headers={"X-Request-ID": "desk-7-a"}
        )
        refused = httpx.get(f"{base_url}/api/patrons/29876543210123")  # no token: 401
        time.sleep(0.5)  # the app writes its lines through a queue
    finally:
        _stop(process)

    text = stderr.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # every line
    assert lines, "nothing was logged"
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert any(line["logger"].startswith("uvicorn") for line in lines)
    access_lines = [line for line in lines if line["logger"] == "lending.access"]
    access = {line.get("request_id"): line for line in access_lines}
    assert len(access) == len(access_lines)  # one line per request (uvicorn's own is off)
    assert access["desk-7-a"] == {
        **access["desk-7-a"],
        "method": "GET",
        "path": "/api/health",
        "status": 200,
        "request_id": request_id(given),
    }
    assert isinstance(access["desk-7-a"]["duration_ms"], float)
    assert access["desk-7-a"]["time"].endswith("Z")
    assert access[request_id(refused)]["status"] == 401
    assert access[request_id(refused)]["path"] == "/api/patrons/{card_number}"
    assert "29876543210123" not in text  # neither the query string nor the card in the path


async def test_the_audit_trail_finds_what_one_request_changed_by_its_request_id(desk):
    r = await desk.client.post(
        "/api/checkout",
        json={"patron": "P003", "device": "DEV003"},
        headers={**desk.desk, "X-Request-ID": "desk-3-complaint"},
    )
    assert r.status_code == 201, r.text
    r = await desk.client.post(
        "/api/checkout", json={"patron": "P003", "device": "DEV004"}, headers=desk.desk
    )
    assert r.status_code == 201, r.text

    r = await desk.client.get(
        "/api/events", params={"request_id": "desk-3-complaint"}, headers=desk.admin
    )

    assert r.status_code == 200, r.text
    assert [(e["action"], e["subject"]) for e in r.json()["items"]] == [("checkout", "DEV003")]


async def test_an_error_page_shows_its_reference_in_the_residents_language(client):
    r = await client.get(
        "/no-such-page",
        headers={"Accept": "text/html", "X-Request-ID": "page-ref-1", "Accept-Language": "es"},
    )

    assert r.status_code == 404
    assert "page-ref-1" in r.text and "Referencia para el personal" in r.text
