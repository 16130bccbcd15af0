"""The circulation desk with no connection, in a real browser (issue 14): the desk caches its
offline kit while online; offline it queues 10 checkouts and 5 checkins (two of them
conflicts) in IndexedDB, refuses a blocked card at once, and keeps the queue through a reload
(the desk's service worker opens the page with no connection); the queue exports as the
upload body; back online it is sent as one session (13 applied, 2 for staff), the exceptions
page lists the two, and sending the same session again changes nothing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from browser_accounts import DESK, log_in_staff
from live_server import LENDING, server_env
from playwright.sync_api import expect
from test_desk import _scan, _seed

BANNER = "#offline-title"


def _loans(server, device: str) -> list[dict]:
    return server.api("GET", f"/api/loans?device={device}", expect=200).json()["items"]


def test_the_desk_lends_and_returns_offline_and_sends_the_queue_once_back_online(
    page, server, check_accessibility, review_screenshot, tmp_path
):
    tag = f"OFL{server.kind[0].upper()}"
    a, b, c, d, blocked = (f"{tag}-P{i}" for i in "ABCDX")
    kinds = {"H": "hotspot", "L": "laptop", "T": "tablet"}
    devices = {f"{tag}-{k}{i}": kind for k, kind in kinds.items() for i in (1, 2, 3)}
    _seed(server, tag, devices, {a: "Ann Off", b: "Bo Line", c: "Cy Queue", d: "Di Late",
                                 blocked: "Xe Blocked"})  # fmt: skip
    server.api("PATCH", f"/api/patrons/{blocked}", expect=200,
               json={"blocked": True, "block_reason": "Lost device"})  # fmt: skip
    h1, h2, h3 = (f"{tag}-H{i}" for i in (1, 2, 3))
    l1, l2, l3 = (f"{tag}-L{i}" for i in (1, 2, 3))
    t1, t2, t3 = (f"{tag}-T{i}" for i in (1, 2, 3))
    unknown = f"{tag}-NOPE"

    log_in_staff(page, server, DESK)
    # Online: the kit is cached and the service worker keeps a copy of the desk.
    page.wait_for_function("() => window.lendingOffline && window.lendingOffline.state().kit")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_function("async () => !!(await caches.match('/desk'))")
    expect(page.locator("#offline-banner")).to_be_hidden()

    page.context.set_offline(True)
    expect(page.locator(BANNER)).to_have_text("Offline — 0 transactions waiting")
    expect(page.get_by_role("button", name="New patron")).to_be_visible()
    page.locator("#scan").focus()

    # Check out: a card, then its devices; New patron before the next card.
    for patron, lent in ((a, (h1, l1, t1)), (b, (h2, l2, t2)), (c, (h3, l3, t3)), (d, (h1,))):
        if patron != a:
            page.get_by_role("button", name="New patron").click()
            expect(page.locator("#result")).to_contain_text("New patron: scan the library card")
        _scan(page, patron)
        expect(page.locator("#result")).to_contain_text(f"Patron: card {patron} (offline)")
        for device in lent:
            _scan(page, device)
            expect(page.locator("#result")).to_contain_text(
                f"Queued (offline): check out {device} to card {patron}"
            )
    expect(page.locator("#result .result")).to_have_attribute("data-outcome", "queued")
    expect(page.locator("#result")).to_contain_text("provisional")
    expect(page.locator("#result")).to_contain_text("Due by")
    expect(page.locator(BANNER)).to_have_text("Offline — 10 transactions waiting")

    # A card the kit lists as blocked is refused at once, and nothing is queued for it.
    page.get_by_role("button", name="New patron").click()
    _scan(page, blocked)
    expect(page.locator("#result")).to_contain_text(f"Not lent: card {blocked} is blocked")
    _scan(page, h2)
    expect(page.locator("#result")).to_contain_text("Press New patron")
    expect(page.locator(BANNER)).to_have_text("Offline — 10 transactions waiting")
    check_accessibility(page)

    # Check in: four devices lent above, and a barcode nobody knows.
    page.get_by_label("Check in").check()
    page.locator("#scan").focus()
    for device in (h2, l2, t3, l3, unknown):
        _scan(page, device)
        expect(page.locator("#result")).to_contain_text(f"Queued (offline): check in {device}")
    expect(page.locator(BANNER)).to_have_text("Offline — 15 transactions waiting")
    review_screenshot(page, "desk-offline")

    # Reloaded with no connection: the service worker opens the desk, the queue is still there.
    page.reload()
    expect(page.locator(BANNER)).to_have_text("Offline — 15 transactions waiting")
    expect(page.get_by_role("button", name="Export queue")).to_be_visible()
    assert _loans(server, h1) == []  # nothing reached the server

    # Export: the file is the upload body, for `lending offline import FILE`.
    with page.expect_download() as download:
        page.get_by_role("button", name="Export queue").click()
    exported = tmp_path / "queue.json"
    download.value.save_as(exported)
    body = json.loads(exported.read_text())
    assert set(body) == {"id", "service_point", "transactions"} and body["service_point"] == "MAIN"
    txns = body["transactions"]
    assert len(txns) == 15 and len({t["id"] for t in txns}) == 15
    assert [t["type"] for t in txns] == ["checkout"] * 10 + ["checkin"] * 5
    assert {t["clerk"] for t in txns} == {DESK[0]}
    assert txns[0]["patron"] == a and txns[0]["device"] == h1 and txns[0]["due_at"]
    assert txns[9]["patron"] == d and "patron" not in txns[10]
    assert all(t["at"][-6] in "+-" for t in txns)  # each time carries its offset

    # Back online: the queue goes as one session; what needs staff is listed in words.
    page.context.set_offline(False)
    result = page.locator("#offline-result")
    expect(result).to_contain_text("13 applied, 2 need staff attention", timeout=20_000)
    expect(result).to_contain_text(f"Check out {h1} (card {d})")
    expect(result).to_contain_text("device_unavailable")
    expect(result).to_contain_text(f"Check in {unknown}")
    expect(result).to_contain_text("No device has this barcode")
    expect(page.locator(BANNER)).to_have_text("Back online")
    expect(page.get_by_role("button", name="Export queue")).to_be_hidden()
    assert page.evaluate("() => window.lendingOffline.state().waiting") == 0
    [loan] = _loans(server, h1)
    assert loan["patron"] == a and loan["status"] == "active"
    [back] = _loans(server, h2)
    assert back["patron"] == b and back["returned_at"] is not None
    check_accessibility(page)

    # The exceptions page lists both, with what stood in the way.
    page.get_by_role("link", name="Resolve them on the offline exceptions page").click()
    page.wait_for_url(f"{server.base_url}/desk/offline")
    rows = page.locator("#offline-exceptions tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(h1)
    expect(rows.nth(0)).to_contain_text(d)
    expect(rows.nth(0)).to_contain_text("device_unavailable")
    expect(rows.nth(1)).to_contain_text(unknown)
    expect(rows.nth(1)).to_contain_text("device_not_found")
    check_accessibility(page)
    review_screenshot(page, "desk-offline-exceptions")

    # The same session again (the API, and the exported file imported): nothing changes.
    again = server.api("POST", "/api/offline/sessions", expect=200, json=body).json()
    assert again["already_uploaded"] is True and (again["applied"], again["exceptions"]) == (13, 2)
    imported = subprocess.run(
        [LENDING, "offline", "import", str(exported)],
        env=server_env(server.url), cwd=Path(exported).parent, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert "already replayed" in imported.stdout and "nothing changed" in imported.stdout
    assert len(_loans(server, h1)) == 1 and len(_loans(server, h2)) == 1
    expect(page.locator("#offline-exceptions tbody tr")).to_have_count(2)
    page.reload()
    expect(page.locator("#offline-exceptions tbody tr")).to_have_count(2)
