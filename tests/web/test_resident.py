"""The resident portal in a real browser on a 360 px phone screen: log in, renew, a refusal in
plain words, Spanish, joining and leaving a waitlist, logging out; and a resident cannot open
staff pages. Seed data uses codes starting with MY (the server is shared by all browser tests)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from browser_accounts import log_in_resident
from playwright.sync_api import expect

PIN = "4821"
SPANISH_DATE = re.compile(
    r"(lunes|martes|miércoles|jueves|viernes|sábado|domingo), \d{1,2} de "
    r"(enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)"
    r"( de \d{4})?, \d{2}:\d{2}"
)
ENGLISH_DATE = re.compile(
    r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), [A-Z][a-z]+ \d{1,2}"
    r"(, \d{4})?, \d{1,2}:\d{2} (AM|PM)"
)


def seed(server, tag: str) -> dict[str, str]:
    """A branch of our own, a resident with a laptop and a tablet on loan, and another
    patron waiting for a laptop there (so the laptop can't be renewed)."""
    branch = f"MY{tag}"
    server.api(
        "POST",
        "/api/branches",
        expect=201,
        json={"code": branch, "name": f"Riverside {tag}", "timezone": "America/Chicago"},
    )
    for barcode, kind in [(f"MY{tag}LAP", "laptop"), (f"MY{tag}TAB", "tablet")]:
        server.api(
            "POST",
            "/api/devices",
            expect=201,
            json={
                "barcode": barcode,
                "kind": kind,
                "model": "Model",
                "serial_number": f"SN-{barcode}",
                "branch": branch,
            },
        )
    expires = (date.today() + timedelta(days=365)).isoformat()
    me, other = f"MY{tag}-CARD-1", f"MY{tag}-CARD-2"
    for card, name in [(me, "Rosa Resident"), (other, "Otto Other")]:
        server.api(
            "POST",
            "/api/patrons",
            expect=201,
            json={
                "card_number": card,
                "name": name,
                "pin": PIN,
                "language": "en",
                "branch": branch,
                "expires_on": expires,
            },
        )
    for barcode in (f"MY{tag}LAP", f"MY{tag}TAB"):
        server.api("POST", "/api/checkout", expect=201, json={"patron": me, "device": barcode})
    server.api(
        "POST",
        "/api/holds",
        expect=201,
        json={"patron": other, "kind": "laptop", "branch": branch},
    )
    return {"card": me, "branch": branch, "branch_name": f"Riverside {tag}"}


def assert_fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} scrolls sideways: {width} px wide"


def test_resident_renews_sees_a_refusal_switches_to_spanish_and_joins_and_leaves_a_waitlist(
    phone, server, check_accessibility, review_screenshot
):
    data = seed(server, "A")
    page = phone

    page.goto(server.base_url + "/my/login")
    check_accessibility(page)
    assert_fits_the_phone(page)
    review_screenshot(page, "my-login")
    log_in_resident(page, server, data["card"], PIN)

    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Rosa Resident")
    tablet = page.locator("li.my-item", has_text="MYATAB")
    laptop = page.locator("li.my-item", has_text="MYALAP")
    expect(tablet).to_contain_text("Return by")
    assert ENGLISH_DATE.search(tablet.inner_text()), tablet.inner_text()
    due_before = ENGLISH_DATE.search(tablet.inner_text()).group(0)
    assert_fits_the_phone(page)  # (axe runs on this page below, after the refusal)
    review_screenshot(page, "my-loans")

    # Renew the tablet: back on /my with the new due date.
    tablet.get_by_role("button", name=re.compile("^Renew")).click()
    expect(page.get_by_role("status")).to_contain_text("Renewed: Tablet (MYATAB)")
    assert page.url.endswith("/my")
    expect(tablet).to_contain_text("Renewals used: 1 of")
    assert ENGLISH_DATE.search(tablet.inner_text()).group(0) != due_before

    # Renew the laptop: refused, because another patron waits for a laptop at this branch.
    laptop.get_by_role("button", name=re.compile("^Renew")).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Laptop (MYALAP) was not renewed.")
    expect(alert).to_contain_text("Please return it by")
    expect(alert).to_contain_text(
        re.compile(r"Others are waiting for this kind of device|renewed as many times as allowed")
    )
    check_accessibility(page)
    assert_fits_the_phone(page)
    review_screenshot(page, "my-refusal")

    # Switch to Spanish from the page: words and dates change.
    page.get_by_role("button", name="Español").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hola, Rosa Resident")
    assert page.url.endswith("/my")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(laptop).to_contain_text("Devuélvalo a más tardar el")
    assert SPANISH_DATE.search(laptop.inner_text()), laptop.inner_text()

    # Join a waitlist for a hotspot at our branch, in Spanish.
    page.get_by_role("link", name="Unirse a una lista de espera").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Unirse a una lista de espera")
    check_accessibility(page)
    assert_fits_the_phone(page)
    review_screenshot(page, "my-waitlist-form")
    page.get_by_role("button", name="Unirme a la lista de espera").click()  # nothing chosen
    expect(page.locator("#f-kind-error")).to_have_text("Este campo es obligatorio.")
    check_accessibility(page)
    page.get_by_label("Tipo de equipo").select_option(label="Hotspot de wifi")
    page.get_by_label("Sucursal para recogerlo").select_option(data["branch"])
    page.get_by_role("button", name="Unirme a la lista de espera").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Se unió a la lista de espera: Hotspot de wifi en {data['branch_name']}. "
        "Usted es el número 1 en la fila."
    )
    hold = page.locator("li.my-item", has_text="Hotspot de wifi")
    expect(hold).to_contain_text("Usted es el siguiente en la fila.")
    check_accessibility(page)
    assert_fits_the_phone(page)
    review_screenshot(page, "my-holds-es")

    # Leave it again.
    hold.get_by_role("button", name=re.compile("^Cancelar")).click()
    expect(page.get_by_role("alert")).to_contain_text("Perderá su lugar en la fila")
    check_accessibility(page)
    assert_fits_the_phone(page)
    page.get_by_role("button", name="Sí, salir de la lista de espera").click()
    expect(page.get_by_role("status")).to_contain_text("Salió de la lista de espera")
    expect(page.get_by_text("No está en ninguna lista de espera.")).to_be_visible()
    holds = server.api("GET", f"/api/holds?branch={data['branch']}&kind=hotspot").json()
    assert holds["total"] == 0

    # Log out: back at the login, in Spanish still, and /my needs a login again.
    page.get_by_role("button", name="Cerrar sesión").click()
    expect(page).to_have_url(re.compile(r"/my/login$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.goto(server.base_url + "/my")
    expect(page).to_have_url(re.compile(r"/my/login\?next=/my$"))


def test_a_resident_session_cannot_open_staff_pages(phone, server):
    card = "MYB-CARD-1"
    server.api(
        "POST", "/api/patrons", expect=201, json={"card_number": card, "name": "Bo", "pin": PIN}
    )
    log_in_resident(phone, server, card, PIN)
    for path in ("/desk", "/admin"):
        response = phone.goto(server.base_url + path)
        assert response.status == 403, path
        expect(phone.get_by_role("alert")).to_contain_text("staff" if path == "/desk" else "admin")
        assert phone.url.endswith(path)
