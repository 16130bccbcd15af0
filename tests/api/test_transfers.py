"""Transfers between service points: a device on the shelf is sent (in transit, lendable by
nobody), received by a scan at its destination, and goes to the hold shelf there when someone
waits for its kind; refusals name what is wrong and write nothing."""

from __future__ import annotations

import asyncio

BOOKMOBILE = {"code": "BM1", "name": "Bookmobile 1", "type": "bookmobile", "branch": "MAIN"}


async def _bookmobile(api) -> None:
    r = await api.as_(api.headers["admin"], "POST", "/api/service-points", json=BOOKMOBILE)
    assert r.status_code == 201, r.text


async def _send(api, device: str, to: str):
    return await api.as_(
        api.headers["desk"], "POST", "/api/transfers", json={"device": device, "to": to}
    )


async def _receive(api, device: str, at: str | None = None):
    body = {"device": device} if at is None else {"device": device, "at": at}
    return await api.as_(api.headers["desk"], "POST", "/api/transfers/receive", json=body)


async def test_a_sent_device_is_in_transit_until_scanned_in_at_its_destination(
    api, library, problem_code
):
    await _bookmobile(api)
    r = await _send(api, "DEV001", "BM1")
    assert r.status_code == 201, r.text
    sent = r.json()
    assert (sent["device"], sent["from_point"], sent["to_point"], sent["status"]) == (
        "DEV001", "MAIN", "BM1", "in_transit"
    )  # fmt: skip
    assert sent["sent_by"] == "desk" and sent["received_at"] is None
    device = (await api.as_(api.headers["desk"], "GET", "/api/devices/DEV001")).json()
    assert device["status"] == "in_transit"
    r = await api.as_(
        api.headers["desk"], "POST", "/api/checkout", json={"patron": "P003", "device": "DEV001"}
    )
    assert problem_code(r, 409) == "device_unavailable"
    waiting = (
        await api.as_(api.headers["desk"], "GET", "/api/transfers?status=in_transit&to=BM1")
    ).json()
    assert [t["device"] for t in waiting["items"]] == ["DEV001"]

    r = await _receive(api, "DEV001", at="BM1")
    assert r.status_code == 200, r.text
    assert r.json()["device_status"] == "available" and r.json()["hold_for"] is None
    assert r.json()["transfer"]["status"] == "received"
    device = (await api.as_(api.headers["desk"], "GET", "/api/devices/DEV001")).json()
    assert device["status"] == "available"
    r = await _receive(api, "DEV001")
    assert problem_code(r, 409) == "not_in_transit"

    # From the bookmobile back to the branch desk.
    r = await _send(api, "DEV001", "MAIN")
    assert r.status_code == 201 and r.json()["from_point"] == "BM1"
    events = (await api.as_(api.headers["admin"], "GET", "/api/events?subject=DEV001")).json()
    actions = [e["action"] for e in events["items"]]
    assert actions.count("transfer_sent") == 2 and actions.count("transfer_received") == 1


async def test_a_device_sent_to_a_branch_where_someone_waits_goes_to_that_hold_shelf(api, library):
    r = await api.as_(
        api.headers["desk"],
        "POST",
        "/api/holds",
        json={"patron": "P003", "kind": "laptop", "branch": "EAST"},
    )
    assert r.status_code == 201, r.text
    assert (await _send(api, "DEV004", "EAST")).status_code == 201
    r = await _receive(api, "DEV004", at="EAST")
    assert r.status_code == 200, r.text
    assert r.json()["device_status"] == "on_hold_shelf" and r.json()["hold_for"] == "P003"
    device = (await api.as_(api.headers["desk"], "GET", "/api/devices/DEV004")).json()
    assert device["branch"] == "EAST" and device["status"] == "on_hold_shelf"
    holds = (
        await api.as_(api.headers["desk"], "GET", "/api/holds?status=ready&branch=EAST")
    ).json()
    assert [h["device"] for h in holds["items"]] == ["DEV004"]


async def test_transfer_refusals_name_the_problem_and_write_nothing(api, library, problem_code):
    await _bookmobile(api)
    r = await api.as_(
        api.headers["desk"], "POST", "/api/checkout", json={"patron": "P003", "device": "DEV002"}
    )
    assert r.status_code == 201, r.text
    r = await _send(api, "DEV002", "BM1")
    assert problem_code(r, 409) == "device_not_transferable"
    assert r.json()["facts"]["status"] == "on_loan"
    r = await _send(api, "DEV001", "MAIN")  # already there
    assert problem_code(r, 422) == "validation_error"
    r = await _send(api, "NOPE", "BM1")
    assert problem_code(r, 404) == "device_not_found"
    r = await _send(api, "DEV001", "NOWHERE")
    assert problem_code(r, 422) == "validation_error"
    for body in [{"device": "DEV001"}, {"device": "", "to": "BM1"}, {"device": 7, "to": "BM1"},
                 {"device": "DEV001", "to": "x" * 500}]:  # fmt: skip
        r = await api.as_(api.headers["desk"], "POST", "/api/transfers", json=body)
        assert r.status_code in (400, 422), (body, r.text)
    r = await _receive(api, "DEV003")
    assert problem_code(r, 409) == "not_in_transit"
    assert (await _send(api, "DEV001", "BM1")).status_code == 201
    r = await _receive(api, "DEV001", at="EAST")
    assert problem_code(r, 409) == "transfer_elsewhere"
    assert r.json()["facts"]["to"] == "BM1"
    listed = (await api.as_(api.headers["desk"], "GET", "/api/transfers")).json()
    assert listed["total"] == 1 and listed["items"][0]["status"] == "in_transit"

    resident = await api.login(card_number="P003", pin="1234")
    assert problem_code(await api.as_(resident, "GET", "/api/transfers"), 403) == "forbidden"
    r = await api.as_(resident, "POST", "/api/transfers", json={"device": "DEV003", "to": "BM1"})
    assert problem_code(r, 403) == "forbidden"
    r = await api.client.post("/api/transfers", json={"device": "DEV003", "to": "BM1"})
    assert r.status_code == 401


async def test_a_device_marked_lost_in_transit_ends_its_transfer(api, library):
    await _bookmobile(api)
    assert (await _send(api, "DEV003", "BM1")).status_code == 201
    r = await api.as_(api.headers["admin"], "PATCH", "/api/devices/DEV003", json={"status": "lost"})
    assert r.status_code == 200, r.text
    listed = (await api.as_(api.headers["desk"], "GET", "/api/transfers")).json()
    assert listed["items"][0]["status"] == "cancelled"
    r = await _receive(api, "DEV003")
    assert r.status_code == 409


async def test_two_desks_sending_one_device_at_once_make_one_transfer(api, library):
    await _bookmobile(api)
    first, second = await asyncio.gather(_send(api, "DEV005", "BM1"), _send(api, "DEV005", "EAST"))
    assert sorted([first.status_code, second.status_code]) == [201, 409]
    listed = (await api.as_(api.headers["desk"], "GET", "/api/transfers")).json()
    assert listed["total"] == 1
