"""The reservation pages, in-process (no browser): staff book devices for a class through the
form and see it; a refusal (too soon, more than the pool) says why on the form and books
nothing; bad values are field errors, never a 5xx; partner staff see only their partner's
reservations, request rather than book, and get no confirm or pickup buttons; desk staff hand a
ready reservation out by scanning and see the loans; the pull list names each set-aside device
and its shelf; the month calendar shows the fewest free each day and links the reservations;
only admins see the rules form. The `clock` fixture: 2026-12-01 10:00 in Chicago."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from test_admin_people_forms import LONG, Pages, field_error, value_of


async def ok(response, status: int = 200) -> Any:
    assert response.status_code in (status, 201 if status == 200 else status), response.text
    return response.json()


@pytest.fixture
async def pages(client, api, library) -> Pages:
    pages = Pages(client)
    assert await pages.log_in() == 303
    return pages


BOOKING = {
    "service_point": "MAIN",
    "kind": "laptop",
    "date": "2026-12-04",
    "start_time": "10:00",
    "end_time": "12:00",
    "ends_on": "",
    "quantity": "1",
    "devices": "",
    "event": "Digital skills class",
    "responsible": "",
    "patron": "",
    "notes": "",
}


def text_of(html: str) -> str:
    """The page's words, tags and runs of white space taken out."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def section(html: str, marker: str, end: str = "</tr>") -> str:
    """The piece of the page from `marker` to the next `end`."""
    assert marker in html, marker
    return html.split(marker, 1)[1].split(end, 1)[0]


async def reservations(api, who: str = "admin") -> list[dict[str, Any]]:
    return (await ok(await api.as_(api.headers[who], "GET", "/api/reservations")))["items"]


async def booked(api, who: str = "desk", **body: Any) -> dict[str, Any]:
    payload = {"service_point": "MAIN", "kind": "laptop", "starts_at": "2026-12-04T10:00:00-06:00",
               "ends_at": "2026-12-04T12:00:00-06:00", "event": "Digital skills class",
               **body}  # fmt: skip
    return await ok(await api.as_(api.headers[who], "POST", "/api/reservations", json=payload))


async def partner_site(api) -> None:
    """Partner HA, its site HA1 (of branch MAIN) named by its laptop program, coach p1."""
    admin = api.headers["admin"]
    await ok(await api.as_(admin, "POST", "/api/partners", json={"code": "HA", "name": "Housing"}))
    site = {"code": "HA1", "name": "Housing site", "type": "partner_site", "branch": "MAIN"}
    await ok(await api.as_(admin, "POST", "/api/service-points", json=site))
    program = {"code": "CH", "name": "ConnectHome", "starts_on": "2026-01-01",
               "kinds": ["laptop"], "partners": ["HA"], "points": ["HA1"]}  # fmt: skip
    await ok(await api.as_(admin, "POST", "/api/programs", json=program))
    api.headers["partner"] = await api.staff("p1", "partner", partner="HA")


async def test_booking_through_the_form_shows_the_reservation_with_its_local_times(pages, api):
    r = await pages.post(
        "/admin/reservations",
        {**BOOKING, "quantity": "", "devices": "DEV004, DEV005", "responsible": "Ms. Rivera",
         "notes": "Room 2\r\nBring the cart"},
    )  # fmt: skip
    assert r.status_code == 303, field_error(r.text, "f-quantity") or r.text[:2000]
    (made,) = await reservations(api)
    assert r.headers["location"] == f"/admin/reservations/{made['id']}"
    assert made["starts_at"] == "2026-12-04T10:00:00-06:00"  # the service point's own time
    assert made["ends_at"] == "2026-12-04T12:00:00-06:00"
    assert made["status"] == "confirmed" and made["quantity"] == 2
    assert [u["device"] for u in made["units"]] == ["DEV004", "DEV005"]

    page = await pages.get(r.headers["location"])
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Booked 2 laptops for “Digital skills class” at MAIN" in words  # the flash
    assert "Status: Confirmed" in words
    assert "Fri 4 Dec 2026, 10:00 CST to 12:00" in words
    assert "Ms. Rivera" in words and "Bring the cart" in words
    units = section(page.text, 'id="units"', "</table>")
    assert "DEV004" in units and "DEV005" in units and "(named)" in units

    listed = await pages.get("/admin/reservations")
    assert listed.status_code == 200 and ">Reservations</a>" in listed.text  # in the menu
    row = section(listed.text, f'data-reservation="{made["id"]}"')
    assert "Digital skills class" in row and "Confirmed" in row and "2 laptops" in row
    filtered = await pages.get("/admin/reservations?service_point=MAIN&kind=hotspot&status=")
    assert filtered.status_code == 200 and "0 reservations match" in text_of(filtered.text)

    # Over two days, on the last day's clock.
    r = await pages.post(
        "/admin/reservations",
        {**BOOKING, "date": "2026-12-08", "ends_on": "2026-12-09", "start_time": "16:00",
         "end_time": "09:30", "event": "Overnight lab"},
    )  # fmt: skip
    assert r.status_code == 303, r.text[:2000]
    later = next(x for x in await reservations(api) if x["event"] == "Overnight lab")
    assert later["ends_at"] == "2026-12-09T09:30:00-06:00"


async def test_a_refused_booking_shows_its_reason_on_the_form_and_books_nothing(pages, api):
    r = await pages.post("/admin/reservations", {**BOOKING, "date": "2026-12-01",
                                                 "start_time": "15:00", "end_time": "16:00"})  # fmt: skip
    assert r.status_code == 422
    assert "at least 24 hours before it starts" in field_error(r.text, "f-start_time")
    assert "Nothing was booked" in r.text
    assert value_of(r.text, "f-event") == "Digital skills class"  # what was typed is kept

    r = await pages.post("/admin/reservations", {**BOOKING, "quantity": "3"})  # the pool is 2
    assert r.status_code == 422
    assert "Only 2 laptop device(s) are free" in field_error(r.text, "f-quantity")
    assert value_of(r.text, "f-quantity") == "3"

    r = await pages.post("/admin/reservations", {**BOOKING, "end_time": "11:00",
                                                 "ends_on": "2026-12-08"})  # fmt: skip
    assert r.status_code == 422 and "at most 72 hours" in field_error(r.text, "f-end_time")

    await booked(api, quantity=1, devices=["DEV004"])
    r = await pages.post("/admin/reservations", {**BOOKING, "quantity": "", "devices": "DEV004"})
    assert r.status_code == 422
    assert "booked for another reservation" in field_error(r.text, "f-devices")
    r = await pages.post("/admin/reservations", {**BOOKING, "quantity": "", "devices": "DEV001"})
    assert r.status_code == 422 and "is not a laptop" in field_error(r.text, "f-devices")
    assert len(await reservations(api)) == 1  # only the one booked through the API


async def test_hostile_over_long_and_empty_values_are_field_errors_and_never_a_500(pages, api):
    empty = dict.fromkeys(BOOKING, "")
    r = await pages.post("/admin/reservations", empty)
    assert r.status_code == 422
    assert field_error(r.text, "f-service_point") == "Choose the service point."
    assert field_error(r.text, "f-kind") == "Choose the kind of device."
    assert "day the event starts" in field_error(r.text, "f-date")
    assert "when the event starts" in field_error(r.text, "f-start_time")
    assert "when the devices come back" in field_error(r.text, "f-end_time")
    assert "how many devices" in field_error(r.text, "f-quantity")
    assert "what the devices are for" in field_error(r.text, "f-event")

    for form, field, words in [
        ({"event": LONG}, "f-event", "at most 200"),
        ({"responsible": "r" * 201}, "f-responsible", "at most 200"),
        ({"notes": "n" * 4001}, "f-notes", "at most 4000"),
        ({"service_point": "NOPE"}, "f-service_point", "No service point"),
        ({"service_point": "a b<script>"}, "f-service_point", "from the list"),
        ({"kind": "toaster"}, "f-kind", "Choose the kind"),
        ({"date": "2026-02-30"}, "f-date", "YYYY-MM-DD"),
        ({"date": "9" * 40}, "f-date", "YYYY-MM-DD"),
        ({"start_time": "25:99"}, "f-start_time", "HH:MM"),
        ({"end_time": "noon"}, "f-end_time", "HH:MM"),
        ({"end_time": "09:00"}, "f-end_time", "after the event starts"),
        ({"quantity": "abc"}, "f-quantity", "whole number"),
        ({"quantity": "0"}, "f-quantity", "whole number from 1 to 500"),
        ({"quantity": "9" * 40}, "f-quantity", "whole number"),
        ({"quantity": "1", "devices": "DEV004 DEV005"}, "f-quantity", "Fewer than the devices"),
        ({"quantity": "", "devices": "NOPE"}, "f-devices", "No device with barcode"),
        ({"devices": "x" * 100}, "f-devices", "too long to be a barcode"),
        ({"patron": "NOBODY"}, "f-patron", "No patron with card number"),
        ({"patron": "p" * 90}, "f-patron", "1 to 64 characters"),
    ]:
        r = await pages.post("/admin/reservations", {**BOOKING, **form})
        assert r.status_code == 422, (form, r.status_code)
        assert words in field_error(r.text, field), (form, field_error(r.text, field))
    # A NUL or a line break in a one-line field: the form is refused before any handler.
    r = await pages.post("/admin/reservations", {**BOOKING, "event": "Class\x00"})
    assert r.status_code == 422 and "not accepted" in r.text
    assert await reservations(api) == []

    for url in [
        "/admin/reservations?service_point=%00&kind=toaster&status=lost&page=-1",
        "/admin/reservations?service_point=" + "x" * 300,
        "/admin/reservations?service_point=NOPE",
        "/admin/reservations/pull-list?days=0",
        "/admin/reservations/pull-list?days=" + "9" * 40,
        "/admin/reservations/pull-list?service_point=NOPE",
        "/admin/reservations/calendar?service_point=MAIN&kind=laptop&month=2026-13",
        "/admin/reservations/calendar?service_point=NOPE",
        "/admin/reservations/calendar?service_point=MAIN&kind=toaster",
        "/admin/reservations/calendar?service_point=MAIN&month=9999-01",
    ]:
        r = await pages.get(url)
        assert r.status_code == 422, (url, r.status_code)
        assert 'class="alert error"' in r.text, url
    assert (await pages.get("/admin/reservations/99999999999")).status_code == 404
    assert (await pages.get("/admin/reservations/12")).status_code == 404
    assert (await pages.post("/admin/reservations/12/cancel", {"reason": "x"})).status_code == 404
    assert (await pages.post("/admin/reservations/rules/toaster", {})).status_code == 404


async def test_partner_staff_see_only_their_partners_reservations_and_request_rather_than_book(
    client, api, library
):
    await partner_site(api)
    staff_own = await booked(api, quantity=1)
    partner = Pages(client)
    assert await partner.log_in("p1") == 303
    listed = await partner.get("/admin/reservations")
    assert listed.status_code == 200 and "You see your organisation" in listed.text
    assert "0 reservations" in text_of(listed.text)
    options = section(listed.text, 'id="f-service_point"', "</select>")
    assert 'value="HA1"' in options and 'value="MAIN"' not in options  # their site only

    r = await partner.post("/admin/reservations", {**BOOKING, "service_point": "MAIN"})
    assert r.status_code == 422
    assert "only at their partner's service points" in field_error(r.text, "f-service_point")
    r = await partner.post("/admin/reservations", {**BOOKING, "service_point": "HA1"})
    assert r.status_code == 303, r.text[:2000]
    requested = next(x for x in await reservations(api) if x["service_point"] == "HA1")
    assert requested["status"] == "requested" and requested["partner"] == "HA"
    page = await partner.get(r.headers["location"])
    words = text_of(page.text)
    assert "staff will confirm it" in words and "Requested: waiting for staff to confirm" in words
    assert "Confirm reservation" not in page.text  # confirming is the library's
    assert "/pickup" not in page.text and "/set-aside" not in page.text
    assert "Cancel reservation" in page.text  # their own booking they may cancel

    listed = await partner.get("/admin/reservations")
    assert f'data-reservation="{requested["id"]}"' in listed.text
    assert f'data-reservation="{staff_own["id"]}"' not in listed.text
    assert (await partner.get(f"/admin/reservations/{staff_own['id']}")).status_code == 404
    r = await partner.post(f"/admin/reservations/{staff_own['id']}/cancel", {"reason": "Mine"})
    assert r.status_code == 404
    r = await partner.post(f"/admin/reservations/{requested['id']}/confirm", {})
    assert r.status_code == 403
    r = await partner.post(f"/admin/reservations/{requested['id']}/pickup", {"barcode": "DEV004"})
    assert r.status_code == 403
    calendar = await partner.get("/admin/reservations/calendar?service_point=HA1&month=2026-12")
    assert f'href="/admin/reservations/{staff_own["id"]}"' not in calendar.text
    assert f'href="/admin/reservations/{requested["id"]}"' in calendar.text
    pull = await partner.get("/admin/reservations/pull-list?days=5")
    assert (
        "Digital skills class" in pull.text
        and f'data-reservation="{staff_own["id"]}"' not in pull.text
    )

    admin = Pages(client)
    assert await admin.log_in() == 303
    page = await admin.get(f"/admin/reservations/{requested['id']}")
    assert "Confirm reservation" in page.text
    r = await admin.post(f"/admin/reservations/{requested['id']}/confirm", {})
    assert r.status_code == 303
    r = await admin.post(f"/admin/reservations/{requested['id']}/confirm", {})
    assert r.status_code == 422 and "is confirmed: it cannot be confirmed" in text_of(r.text)

    assert await partner.log_in("p1") == 303
    r = await partner.post(f"/admin/reservations/{requested['id']}/cancel", {"reason": " "})
    assert r.status_code == 422 and "Say why" in field_error(r.text, "f-reason")
    r = await partner.post(f"/admin/reservations/{requested['id']}/cancel",
                           {"reason": "The class moved online"})  # fmt: skip
    assert r.status_code == 303
    page = await partner.get(r.headers["location"])
    assert "Cancelled" in page.text and "The class moved online" in page.text
    assert "Cancel reservation" not in page.text


async def test_desk_staff_hand_out_a_ready_reservation_by_scanning_and_see_the_loans(
    client, api, library
):
    # Booked 24 hours ahead: its set-aside time is now, so both laptops are set aside at once.
    made = await booked(api, quantity=2, patron="P003", starts_at="2026-12-02T10:00:00-06:00",
                        ends_at="2026-12-02T12:00:00-06:00")  # fmt: skip
    assert made["status"] == "ready"
    desk = Pages(client)
    assert await desk.log_in("desk") == 303
    url = f"/admin/reservations/{made['id']}"
    page = await desk.get(url)
    assert "Ready: devices set aside" in text_of(page.text)
    scan = section(page.text, 'id="f-barcode"', ">")
    assert "autofocus" in scan

    r = await desk.post(url + "/pickup", {"barcode": " DEV004\r"})  # as a scanner types it
    assert r.status_code == 200, r.text[:2000]
    result = text_of(section(r.text, 'id="pickup-result"', "</div>\n</div>"))
    assert "Done: Lent DEV004 to “Digital skills class”" in result
    assert "due back Wed 2 Dec 2026, 12:00 CST" in result
    assert "1 of 2 devices are out with the event" in result
    loans = section(r.text, 'id="loans"', "</table>")
    assert "DEV004" in loans and "P003" in loans
    assert 'data-outcome="ok"' in r.text and "autofocus" in section(r.text, 'id="f-barcode"', ">")

    r = await desk.post(url + "/pickup", {"barcode": "DEV001"})  # a hotspot
    assert r.status_code == 422 and 'data-outcome="bad"' in r.text
    assert "Refused: Not lent: DEV001" in text_of(r.text) and "is not a laptop" in r.text
    r = await desk.post(url + "/pickup", {"barcode": "NOPE"})
    assert r.status_code == 422 and "No device with barcode" in r.text
    r = await desk.post(url + "/pickup", {"barcode": ""})
    assert r.status_code == 422 and "Scan or type" in field_error(r.text, "f-barcode")

    r = await desk.post(url + "/pickup", {"barcode": "DEV005"})
    assert r.status_code == 200 and "2 of 2 devices are out" in text_of(r.text)
    r = await desk.post(url + "/pickup", {"barcode": "DEV004"})
    assert r.status_code == 422 and "DEV004 is not free to hand out" in text_of(r.text)
    done = next(x for x in await reservations(api) if x["id"] == made["id"])
    assert done["status"] == "picked_up" and done["out"] == 2
    page = await desk.get(url)
    assert "Picked up" in page.text and "Lent to the event" in page.text
    assert "Cancel reservation" not in page.text  # handed out: no longer cancellable


async def test_the_pull_list_lists_the_set_aside_devices_with_their_shelves(pages, api):
    for barcode, shelf in (("DEV004", "Cart A, slot 1"), ("DEV005", "Shelf B2")):
        r = await api.as_(api.headers["admin"], "PATCH", f"/api/devices/{barcode}",
                          json={"location": shelf})  # fmt: skip
        await ok(r)
    made = await booked(api, quantity=2)
    page = await pages.get(f"/admin/reservations/{made['id']}")
    assert "Set aside now" in page.text
    r = await pages.post(f"/admin/reservations/{made['id']}/set-aside",
                         {"set_aside_devices": "DEV001"})  # fmt: skip
    assert r.status_code == 422
    assert "cannot be set aside" in field_error(r.text, "f-set_aside_devices")
    r = await pages.post(f"/admin/reservations/{made['id']}/set-aside",
                         {"set_aside_devices": "DEV005"})  # fmt: skip
    assert r.status_code == 303, r.text[:2000]
    page = await pages.get(r.headers["location"])
    assert "2 of 2 set aside." in page.text and "Ready: devices set aside" in page.text
    r = await pages.post(f"/admin/reservations/{made['id']}/pickup", {"barcode": "DEV004"})
    assert r.status_code == 422  # set aside early, but handed out only from its set-aside time
    assert (
        "Devices are handed out from Thu 3 Dec 2026, 10:00 CST until Fri 4 Dec 2026, 12:00 CST."
        in text_of(r.text)
    )

    pull = await pages.get("/admin/reservations/pull-list?days=5&service_point=MAIN")
    assert pull.status_code == 200
    item = section(pull.text, f'data-reservation="{made["id"]}"', "</section>")
    words = text_of(item)
    assert "Digital skills class" in words and "Fri 4 Dec 2026, 10:00 CST to 12:00" in words
    assert "2 laptops" in words
    for barcode, shelf in (("DEV004", "Cart A, slot 1"), ("DEV005", "Shelf B2")):
        row = section(item, f"<strong>{barcode}</strong>")
        assert shelf in row and "Set aside" in row
    assert 'id="print-receipt"' in pull.text and "desk-receipt.js" in pull.text

    soon = await pages.get("/admin/reservations/pull-list?days=2")  # until 3 December
    assert soon.status_code == 200 and "Nothing to set aside" in soon.text
    default = await pages.get("/admin/reservations/pull-list")  # 3 days: until 4 Dec, 10:00
    assert default.status_code == 200 and "until Fri 4 Dec 2026, 10:00 CST" in text_of(default.text)


async def test_the_calendar_shows_the_fewest_free_and_links_each_reservation_on_its_day(pages, api):
    both = await booked(api, quantity=2)  # 4 Dec 10:00-12:00: every laptop
    one = await booked(api, quantity=1, event="Job club", starts_at="2026-12-07T14:00:00-06:00",
                       ends_at="2026-12-07T16:00:00-06:00")  # fmt: skip
    r = await pages.get("/admin/reservations/calendar?service_point=MAIN&kind=laptop&month=2026-12")
    assert r.status_code == 200, r.text[:2000]
    assert "Pool: 2 laptops" in text_of(r.text)

    def day(iso: str) -> str:
        return section(r.text, f'data-date="{iso}"', "</td>")

    assert "None free" in day("2026-12-04")
    assert f'href="/admin/reservations/{both["id"]}"' in day("2026-12-04")
    assert "10:00 Digital skills class" in text_of(day("2026-12-04"))
    assert "1 of 2 free" in day("2026-12-07") and "14:00 Job club" in text_of(day("2026-12-07"))
    assert f'href="/admin/reservations/{one["id"]}"' in day("2026-12-07")
    assert "All 2 free" in day("2026-12-10") and "<a " not in day("2026-12-10")
    assert 'aria-current="date"' in day("2026-12-01")
    assert "month=2026-11" in r.text and "month=2027-01" in r.text  # previous and next
    assert 'data-date="2026-11-30"' not in r.text  # days of other months are blank

    # The default: the first service point, laptops, this month.
    r = await pages.get("/admin/reservations/calendar")
    assert r.status_code == 200 and "None free" in day("2026-12-04")
    r = await pages.get("/admin/reservations/calendar?service_point=MAIN&kind=laptop&month=2027-01")
    assert r.status_code == 200 and "January 2027" in r.text and "None free" not in r.text
    r = await pages.get("/admin/reservations/calendar?service_point=MAIN&month=2026-13")
    assert r.status_code == 422 and "Enter a month as YYYY-MM" in r.text
    r = await pages.get("/admin/reservations/calendar?service_point=NOWHERE")
    assert r.status_code == 422 and "No service point with code “NOWHERE”" in text_of(r.text)


async def test_desk_staff_do_not_see_the_rules_form_and_admins_change_the_rules(client, pages, api):
    page = await pages.get("/admin/reservations")
    assert 'action="/admin/reservations/rules/laptop"' in page.text
    r = await pages.post(
        "/admin/reservations/rules/laptop",
        {"lead_time_hours": "abc", "max_length_hours": "0", "buffer_minutes": "30",
         "set_aside_hours": "12", "auto_cancel_minutes": ""},
    )  # fmt: skip
    assert r.status_code == 422
    assert "whole number" in field_error(r.text, "r-laptop-lead_time_hours")
    assert "from 1 to" in field_error(r.text, "r-laptop-max_length_hours")
    assert field_error(r.text, "r-laptop-auto_cancel_minutes") == "Enter a number."
    assert value_of(r.text, "r-laptop-lead_time_hours") == "abc"
    assert field_error(r.text, "r-hotspot-lead_time_hours") == ""
    rule = await ok(await api.as_(api.headers["admin"], "GET", "/api/policies/laptop/reservations"))
    assert rule["lead_time_hours"] == 24  # nothing saved
    r = await pages.post(
        "/admin/reservations/rules/laptop",
        {"lead_time_hours": "48", "max_length_hours": "8", "buffer_minutes": "30",
         "set_aside_hours": "12", "auto_cancel_minutes": "15"},
    )  # fmt: skip
    assert r.status_code == 303
    rule = await ok(await api.as_(api.headers["admin"], "GET", "/api/policies/laptop/reservations"))
    assert (rule["lead_time_hours"], rule["max_length_hours"], rule["buffer_minutes"]) == (
        48,
        8,
        30,
    )
    r = await pages.post("/admin/reservations", BOOKING)  # 72 hours ahead: still fine
    assert r.status_code == 303
    r = await pages.post("/admin/reservations", {**BOOKING, "date": "2026-12-02"})
    assert r.status_code == 422 and "at least 48 hours" in field_error(r.text, "f-start_time")

    desk = Pages(client)
    assert await desk.log_in("desk") == 303
    page = await desk.get("/admin/reservations")
    assert page.status_code == 200 and ">Reservations</a>" in page.text
    assert "/admin/reservations/rules/" not in page.text and "Save laptop rules" not in page.text
    assert "at least 48 h" in page.text  # the rules are shown, not editable
    assert "Book devices" in page.text
    r = await desk.post("/admin/reservations/rules/laptop", {"lead_time_hours": "0"})
    assert r.status_code == 403
