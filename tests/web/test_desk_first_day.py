"""A library's first day at the circulation desk (issue 12, points 2-5), in Chromium at desktop
and phone width, as the desk clerk (and, for overdue renewals, the Spanish-speaking resident on
a 390 x 844 phone): hold-shelf routings that stay in a to-do list with a hold slip, card
warnings at the card scan and in lists, overdue patrons refused, and a patron found by name or
registered at the desk."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from browser_accounts import ADMIN, DESK, log_in_resident, log_in_staff
from playwright.sync_api import expect
from test_desk import _focused, _log, _scan, _seed

PHONE_390 = {"width": 390, "height": 844}


def _chicago_today() -> date:
    return datetime.now(ZoneInfo("America/Chicago")).date()


def _make_overdue(server, loan_id: int, days: int) -> None:
    """Move a loan's due date `days` days into the past, straight in the server's database (the
    live server runs on the real clock; this is test data, as if it had been lent long ago)."""
    due = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days)
    if server.kind == "sqlite":
        with sqlite3.connect(server.url.removeprefix("sqlite:///")) as db:
            (old,) = db.execute("SELECT due_at FROM loan WHERE id = ?", (loan_id,)).fetchone()
            value = due.isoformat() if "T" in str(old) else str(due)
            db.execute("UPDATE loan SET due_at = ? WHERE id = ?", (value, loan_id))
        return

    async def update() -> None:
        import asyncpg

        conn = await asyncpg.connect(server.url)
        try:
            await conn.execute("UPDATE loan SET due_at = $1 WHERE id = $2", due, loan_id)
        finally:
            await conn.close()

    # Playwright's sync API owns this thread's event loop: run the update in a thread of its own.
    worker = threading.Thread(target=asyncio.run, args=(update(),))
    worker.start()
    worker.join()


def _patron(server, card: str, name: str, branch: str, **extra) -> None:
    json = {"card_number": card, "name": name, "branch": branch, **extra}
    server.api("POST", "/api/patrons", expect=201, json=json)


def _checkout(server, patron: str, device: str) -> int:
    r = server.api("POST", "/api/checkout", expect=201, json={"patron": patron, "device": device})
    return r.json()["loan"]["id"]


def test_a_hold_shelf_routing_stays_in_the_to_do_list_through_a_burst_with_its_hold_slip(
    page, phone, server, check_accessibility, review_screenshot
):
    tag = f"FD2{server.kind[0].upper()}"
    hotspots = [f"{tag}-H{i}" for i in range(1, 5)]
    laptop = f"{tag}-L1"
    reader, james = f"{tag}-R", f"{tag}-J"
    _seed(
        server,
        tag,
        {**dict.fromkeys(hotspots, "hotspot"), laptop: "laptop"},
        {reader: "Rita Reader", james: "James Ali"},
    )
    for device in [hotspots[0], laptop]:
        _checkout(server, reader, device)
    for device in hotspots[1:]:  # other readers of this branch have the rest
        other = f"{device}-P"
        _patron(server, other, f"Reader {device}", tag)
        _checkout(server, other, device)
    server.api(
        "POST", "/api/holds", expect=201, json={"patron": james, "kind": "laptop", "branch": tag}
    )

    log_in_staff(page, server, DESK)
    page.goto(server.base_url + "/desk?mode=checkin")
    # Five devices back to back; the laptop (second) goes to the hold shelf for James Ali.
    for device in [hotspots[0], laptop, *hotspots[1:]]:
        page.keyboard.type(device + "\n")
    expect(_log(page)).to_have_count(5)
    banner = page.locator("#result .result")
    expect(banner).to_contain_text(f"Returned: {hotspots[3]}")  # the last scan has the banner
    expect(banner).to_have_attribute("data-outcome", "ok")
    todo = page.locator("#todo-list > li")
    expect(todo).to_have_count(1)
    expect(todo).to_have_attribute("data-todo", "hold_shelf")
    expect(todo).to_contain_text("Hold shelf")  # words, not colour alone
    expect(todo).to_contain_text(f"{laptop}: Put on hold shelf for James Ali")
    expect(todo).to_contain_text(re.compile(r"Slip: J\. A\. · pick up by \w+day, \w+ \d+"))
    expect(page.locator("#todo-count")).to_have_text("(1)")
    # The hold-shelf result itself had its own colour and label in the log.
    logged = _log(page).nth(3).locator(".result")
    expect(logged).to_have_attribute("data-outcome", "act")
    expect(logged).to_contain_text("Action needed (Hold shelf)")
    assert _focused(page) == "scan"
    check_accessibility(page)
    review_screenshot(page, "desk-todo")

    # More scans, and a reload, leave it there.
    _scan(page, hotspots[0])
    expect(page.locator("#result")).to_contain_text("was not on loan")
    page.reload()
    expect(page.locator("#todo-list > li")).to_have_count(1)

    # The hold slip: the patron's initials (LENDING_HOLD_SLIP_NAME defaults to initials), the
    # device and the pickup deadline in the branch's time zone.
    with page.context.expect_page() as opened:
        todo.get_by_role("link", name=re.compile("Print hold slip")).click()
    slip = opened.value
    slip.wait_for_load_state()
    expect(slip.locator("#slip-name")).to_have_text("J. A.")
    expect(slip.locator("#slip-device")).to_have_text(f"{laptop} (laptop)")
    expect(slip.locator("#slip-until")).to_have_text(re.compile(r"\w+day, \w+ \d+, 11:59 PM"))
    check_accessibility(slip)
    review_screenshot(slip, "desk-hold-slip")
    slip.close()

    # Acknowledged from the keyboard: Tab from the empty scan field reaches Done.
    page.bring_to_front()
    page.locator("#scan").focus()
    done = todo.get_by_role("button", name=re.compile("Done"))
    for _ in range(12):
        page.keyboard.press("Tab")
        if done.evaluate("el => el === document.activeElement"):
            break
    page.keyboard.press("Enter")
    expect(page.locator("#todo-list > li")).to_have_count(0)
    expect(page.locator("#todo-empty")).to_be_visible()
    assert _focused(page) == "scan"

    # On a phone-width screen the to-do list is there too, above the patron panel. James takes
    # the laptop set aside for him; Rita now waits for one, and gets it when it comes back.
    log_in_staff(phone, server, DESK)
    phone.goto(server.base_url + "/desk?mode=checkin")
    _checkout(server, james, laptop)
    server.api(
        "POST", "/api/holds", expect=201, json={"patron": reader, "kind": "laptop", "branch": tag}
    )
    _scan(phone, laptop)
    expect(phone.locator("#todo-list > li")).to_contain_text("Put on hold shelf for Rita Reader")
    check_accessibility(phone)
    review_screenshot(phone, "desk-todo-phone")


def test_expired_blocked_and_expiring_cards_warn_at_the_card_scan_and_in_the_lists(
    page, phone, server, check_accessibility, review_screenshot
):
    tag = f"FD3{server.kind[0].upper()}"
    today = _chicago_today()
    expired, soon, blocked, fine = (f"{tag}-{x}" for x in "ESBF")
    _seed(server, tag, {f"{tag}-H1": "hotspot"}, {})
    for card, name, expires in [
        (expired, "Eve Expired", today - timedelta(days=3)),
        (soon, "Sam Soon", today + timedelta(days=12)),
        (blocked, "Bo Blocked", today + timedelta(days=400)),
        (fine, "Fay Fine", today + timedelta(days=400)),
    ]:
        _patron(server, card, name, tag, expires_on=str(expires))
    server.api(
        "PATCH",
        f"/api/patrons/{blocked}",
        expect=200,
        json={"blocked": True, "block_reason": "unpaid charge"},
    )

    log_in_staff(page, server, DESK)
    _scan(page, expired)
    banner = page.locator("#result .result")
    expect(banner).to_contain_text("Patron: Eve Expired")
    expect(banner).to_have_attribute("data-outcome", "warn")  # no longer a green "Done"
    expect(banner).to_contain_text("Note:")
    expect(banner).to_contain_text("Card expired on")
    expect(page.locator("#patron-panel")).to_contain_text("Card expired")
    _scan(page, soon)
    expect(banner).to_contain_text(re.compile(r"Card expires in 1[123] days .*offer to renew"))
    expect(page.locator("#card-expiring")).to_be_visible()
    _scan(page, fine)
    expect(banner).to_have_attribute("data-outcome", "ok")
    check_accessibility(page)

    # The desk's patron search lists each card's standing.
    page.goto(server.base_url + f"/desk/patrons?q={tag}")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.filter(has_text="Eve Expired")).to_contain_text("Card expired")
    expect(rows.filter(has_text="Sam Soon")).to_contain_text(re.compile(r"Expires in \d+ days"))
    expect(rows.filter(has_text="Bo Blocked")).to_contain_text("Blocked")
    expect(rows.filter(has_text="Fay Fine")).to_contain_text("OK")
    review_screenshot(page, "desk-patrons-standing")

    # The admin list and patron page, on a phone.
    log_in_staff(phone, server, ADMIN)
    phone.goto(server.base_url + f"/admin/patrons?q={tag}")
    rows = phone.locator("table tbody tr")
    expect(rows.filter(has_text="Eve Expired")).to_contain_text("Card expired")
    expect(rows.filter(has_text="Sam Soon")).to_contain_text("Expires in")
    check_accessibility(phone)
    review_screenshot(phone, "admin-patrons-standing-phone")
    phone.goto(server.base_url + f"/admin/patrons/{soon}")
    expect(phone.locator("#card-status")).to_contain_text("Card expires in")
    phone.goto(server.base_url + f"/admin/patrons/{expired}")
    expect(phone.locator("#card-status")).to_contain_text("Card expired")


def test_an_overdue_patron_is_refused_at_the_desk_and_cannot_renew_at_my_in_spanish(
    page, browser, server, check_accessibility, review_screenshot
):
    tag = f"FD4{server.kind[0].upper()}"
    laptop, hotspot = f"{tag}-L1", f"{tag}-H1"
    card = f"{tag}-M"
    _seed(server, tag, {laptop: "laptop", hotspot: "hotspot"}, {})
    _patron(server, card, "María Vega", tag, language="es", pin="4321", expires_on="2099-01-01")
    loan = _checkout(server, card, laptop)
    _make_overdue(server, loan, days=1)  # a laptop overdue since yesterday

    log_in_staff(page, server, DESK)
    _scan(page, card)
    banner = page.locator("#result .result")
    expect(banner).to_have_attribute("data-outcome", "warn")
    expect(banner).to_contain_text(f"Overdue: {laptop} (laptop)")
    expect(page.locator("#overdue-alert")).to_contain_text(laptop)
    _scan(page, hotspot)
    expect(banner).to_contain_text(f"Not checked out: {hotspot} to María Vega")
    expect(banner).to_contain_text("overdue")
    expect(banner).to_contain_text("Check in the overdue device(s) first")
    check_accessibility(page)
    review_screenshot(page, "desk-overdue-refused")

    # The resident on a 390 x 844 phone: no Renew for the overdue laptop, the reason in Spanish.
    context = browser.new_context(viewport=PHONE_390, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    my = context.new_page()
    try:
        log_in_resident(my, server, card, "4321")
        item = my.locator("li", has_text=laptop)
        expect(item).to_contain_text("Está atrasado, así que no se puede renovar aquí.")
        expect(item.get_by_role("button")).to_have_count(0)
        check_accessibility(my)
        review_screenshot(my, "my-overdue-no-renewal-390")

        # A page opened while the library still allowed it: Renew is refused when pressed.
        server.api(
            "PUT", "/api/policies/laptop", expect=200, json={"resident_may_renew_overdue": True}
        )
        my.reload()
        renew = my.locator("li", has_text=laptop).get_by_role("button", name=re.compile("Renovar"))
        server.api(
            "PUT", "/api/policies/laptop", expect=200, json={"resident_may_renew_overdue": False}
        )
        renew.click()
        expect(my.locator("#refusal")).to_contain_text("Está atrasado")
        my.get_by_role("button", name="English").click()
        expect(my.locator("li", has_text=laptop)).to_contain_text("It is overdue, so it can't")
    finally:
        server.api(
            "PUT", "/api/policies/laptop", expect=200, json={"resident_may_renew_overdue": False}
        )
        context.close()


def test_a_clerk_finds_a_patron_by_name_and_registers_a_new_one_with_a_household(
    page, phone, server, check_accessibility, review_screenshot
):
    tag = f"FD5{server.kind[0].upper()}"
    _seed(server, tag, {}, {})
    for card, name, phone_number, household in [
        (f"{tag}-1", "Jamal Okonkwo", "555-0101", f"{tag} Okonkwo family"),
        (f"{tag}-2", "Jamie 100% Real", "555-0102", None),
    ]:
        _patron(server, card, name, tag, phone=phone_number, household=household)

    log_in_staff(page, server, DESK)
    page.get_by_role("link", name="Patrons", exact=True).click()
    page.get_by_label("Name, card number, phone or email").fill("jamal okonkwo")
    page.keyboard.press("Enter")
    expect(page.locator("#found")).to_contain_text("1 patron matching")
    row = page.locator("table tbody tr")
    expect(row).to_contain_text("555-0101")
    check_accessibility(page)
    review_screenshot(page, "desk-patron-search")
    page.get_by_label("Name, card number, phone or email").fill("0%1")
    page.keyboard.press("Enter")  # % is a character here, not a wildcard (555-0101 is no match)
    expect(page.locator("main")).to_contain_text("No patron matches")
    page.get_by_label("Name, card number, phone or email").fill("100%")
    page.keyboard.press("Enter")
    expect(page.locator("table tbody tr")).to_contain_text("Jamie 100% Real")
    page.get_by_label("Name, card number, phone or email").fill("0101")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Select Jamal Okonkwo").click()
    expect(page.locator("#patron-panel h2")).to_have_text("Jamal Okonkwo")
    assert _focused(page) == "scan"  # ready to scan the devices

    # Registration: the card is scanned (Enter moves on), a field left out says what to fix.
    page.get_by_role("link", name="Patrons", exact=True).click()
    page.get_by_role("link", name="New patron").click()
    expect(page.get_by_label("Card number")).to_be_focused()
    assert page.get_by_label(re.compile("PIN")).count() == 0  # only admins set PINs
    page.keyboard.type(f"{tag}-NEW")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Name", exact=True)).to_be_focused()
    page.get_by_label("Existing household", exact=True).check()
    page.get_by_role("button", name="Add patron").click()
    expect(page.locator("#f-name-error")).to_have_text("Enter the patron's name.")
    expect(page.locator("#f-household-error")).to_contain_text("Choose the household")
    check_accessibility(page)
    page.get_by_label("Name", exact=True).fill("Amina Okonkwo")
    page.get_by_label("Phone (optional)").fill("555-0103")
    page.get_by_label("Language for notices and the resident pages").select_option("es")
    page.get_by_label("Existing household (type to search the list)").fill(f"{tag} Okonkwo family")
    page.get_by_label("Home branch").select_option(tag)
    page.get_by_role("button", name="Add patron").click()
    expect(page.locator(".flash")).to_contain_text("Patron added: Amina Okonkwo")
    expect(page.locator("#patron-panel h2")).to_have_text("Amina Okonkwo")
    stored = server.api("GET", f"/api/patrons/{tag}-NEW", expect=200).json()
    assert stored["household"] == f"{tag} Okonkwo family" and stored["language"] == "es"
    events = server.api("GET", "/api/events", expect=200, params={"limit": 500}).json()["items"]
    assert any(
        e["action"] == "patron_created" and e["subject"] == f"{tag}-NEW" and e["actor"] == DESK[0]
        for e in events
    )

    # The search on a phone-width screen.
    log_in_staff(phone, server, DESK)
    phone.goto(server.base_url + "/desk/patrons?q=Okonkwo")
    expect(phone.locator("table tbody tr")).to_have_count(2)
    check_accessibility(phone)
    review_screenshot(phone, "desk-patron-search-phone")
