"""The SIP2 server as a self-check kiosk or laptop locker uses it, driven by a raw-socket
terminal of our own (tests/sip2/kiosk.py): logging in, status, patron lookups with PIN checks,
checkout (a suspended line's restore queued), renewal, checkin routed like the desk, end of
session; and the framing rules: checksums, the resend request, a repeated request answered
again without lending twice, CR LF, fields in any order, missing fields, no trailer."""

from __future__ import annotations

from kiosk import TODAY, Kiosk

from lending.sip2.codec import parse

BLANK = " " * 18


async def _suspended_line_on(api, barcode: str) -> None:
    from lending.circulation import luhn_check_digit

    body = "8901410000000000001"[:18]
    r = await api.client.post(
        "/api/lines",
        json={
            "iccid": body + str(luhn_check_digit(body)),
            "phone_number": "(555) 010-0100",
            "carrier": "T-Mobile",
            "device": barcode,
            "status": "suspended",
        },
        headers=api.headers["admin"],
    )
    assert r.status_code == 201, r.text


async def _pending_restores() -> int:
    from lending.tables import CarrierAction

    return await CarrierAction.count().where(
        (CarrierAction.action == "restore") & (CarrierAction.status == "pending")
    )


async def test_a_kiosk_session_logs_in_checks_a_card_lends_renews_and_returns_to_the_hold_shelf(
    sip, api
):
    await _suspended_line_on(api, "DEV001")
    async with Kiosk(sip.port) as kiosk:
        status = await kiosk.ask("9900802.00")  # before login: allowed by default
        assert status.command == "98" and status.fixed["protocol_version"] == "2.00"
        bx = status.get("BX")
        assert len(bx) == 16 and bx[0] == "Y" and bx[1] == "Y" and bx[2] == "Y"  # 23, 11, 09
        assert (await kiosk.login(password="wrong-password")).fixed["ok"] == "0"
        assert (await kiosk.login()).fixed["ok"] == "1"
        status = await kiosk.ask("9900802.00")
        assert status.get("AO") == "MAIN" and status.get("AN") == "MAIN"

        info = await kiosk.ask(f"63001{TODAY}  Y       AOMAIN|AAP001|AD1234|")
        assert info.command == "64"
        assert (info.get("BL"), info.get("CQ"), info.get("AE")) == ("Y", "Y", "Ana")
        assert info.fixed["charged"] == "0000"
        wrong = await kiosk.ask(f"63001{TODAY}          AOMAIN|AAP001|AD9999|")
        assert (wrong.get("BL"), wrong.get("CQ")) == ("Y", "N")
        unknown = await kiosk.ask(f"23001{TODAY}AOMAIN|AANOBODY|")
        assert unknown.command == "24" and unknown.get("BL") == "N"

        out = await kiosk.ask(f"11NN{TODAY}{BLANK}AOMAIN|AAP001|ABDEV001|AD1234|")
        assert out.command == "12" and out.fixed["ok"] == "1", out
        assert out.get("AB") == "DEV001" and out.get("AH").startswith("2026-12-")
        assert "turned back on" in out.get("AF")  # the suspended line's restore is queued
        assert await _pending_restores() == 1
        again = await kiosk.ask(f"11NN{TODAY}{BLANK}AOMAIN|AAP003|ABDEV001|")
        assert again.fixed["ok"] == "0" and again.get("AF")

        charged = await kiosk.ask(f"63001{TODAY}  Y       AOMAIN|AAP001|AD1234|")
        assert charged.fixed["charged"] == "0001" and charged.all("AU") == ["DEV001"]
        renewed = await kiosk.ask(f"29NN{TODAY}{BLANK}AOMAIN|AAP001|ABDEV001|AD1234|")
        assert renewed.command == "30" and renewed.fixed["ok"] == "1", renewed
        assert "Renewed" in renewed.get("AF")

        # Someone waits for a hotspot: the checkin sends DEV001 to the hold shelf.
        r = await api.client.post(
            "/api/holds",
            json={"patron": "P003", "kind": "hotspot", "branch": "MAIN"},
            headers=api.headers["desk"],
        )
        assert r.status_code == 201, r.text
        await _retire(api, "DEV002", "DEV003")  # no other hotspot on the shelf
        back = await kiosk.ask(f"09N{TODAY}{TODAY}APMAIN|AOMAIN|ABDEV001|")
        assert back.command == "10" and back.fixed["ok"] == "1"
        assert back.fixed["alert"] == "Y" and back.get("CL") == "hold_shelf"
        assert "hold shelf" in back.get("AF")
        device = (await api.client.get("/api/devices/DEV001", headers=api.headers["desk"])).json()
        assert device["status"] == "on_hold_shelf"

        item = await kiosk.ask(f"17{TODAY}AOMAIN|ABDEV001|")
        assert item.command == "18" and item.fixed["circulation_status"] == "08"
        bye = await kiosk.ask(f"35{TODAY}AOMAIN|AAP001|")
        assert bye.command == "36" and bye.fixed["end_session"] == "Y"
    events = await api.client.get("/api/events?action=checkout", headers=api.headers["admin"])
    assert {e["actor"] for e in events.json()["items"]} >= {"sip:kiosk1"}


async def _retire(api, *barcodes: str) -> None:
    for barcode in barcodes:
        r = await api.client.patch(
            f"/api/devices/{barcode}", json={"status": "retired"}, headers=api.headers["admin"]
        )
        assert r.status_code == 200, r.text


async def test_a_refusal_on_the_kiosk_screen_is_the_desks_reason_in_the_patrons_language(sip, api):
    r = await api.client.patch(
        "/api/patrons/P003",
        json={"language": "es", "blocked": True, "block_reason": "Equipo sin devolver"},
        headers=api.headers["admin"],
    )
    assert r.status_code == 200, r.text
    async with Kiosk(sip.port) as kiosk:
        await kiosk.login()
        out = await kiosk.ask(f"11NN{TODAY}{BLANK}AOMAIN|AAP003|ABDEV002|")
        assert out.fixed["ok"] == "0"
        assert out.get("AF") == "Su cuenta está bloqueada. Hable con el personal en el mostrador."
        status = await kiosk.ask(f"23008{TODAY}AOMAIN|AAP003|")
        assert status.fixed["patron_status"][0] == "Y"  # charge privileges denied
        assert status.fixed["language"] == "008"
        english = await kiosk.ask(f"11NN{TODAY}{BLANK}AOMAIN|AAP001|ABNOSUCH|")
        assert english.get("AF") == "This device is not known here. Please ask staff."


async def test_a_session_that_has_not_logged_in_gets_only_status_and_is_closed_on_anything_else(
    sip,
):
    async with Kiosk(sip.port) as kiosk:
        assert (await kiosk.ask("9900802.00")).command == "98"
        await kiosk.send_raw(
            (kiosk.frame(f"11NN{TODAY}{BLANK}AOMAIN|AAP001|ABDEV001|") + "\r").encode()
        )
        assert await kiosk.read() is None  # closed, nothing lent
    from lending.tables import Loan

    assert await Loan.count() == 0


async def test_a_bad_checksum_gets_96_and_97_gets_the_last_response_again(sip):
    async with Kiosk(sip.port) as kiosk:
        await kiosk.login()
        good = kiosk.frame(f"17{TODAY}AOMAIN|ABDEV001|")
        bad = good[:-4] + ("0000" if not good.endswith("0000") else "1111")
        await kiosk.send_raw((bad + "\r").encode())
        assert await kiosk.read() == "96AZFEF6"
        first = await kiosk.ask(f"17{TODAY}AOMAIN|ABDEV001|")
        await kiosk.send_raw(b"97AZFEF5\r")
        resent = parse(await kiosk.read())
        assert resent == first


async def test_a_checkout_sent_twice_with_the_same_sequence_lends_once_and_answers_twice(sip):
    from lending.tables import Loan

    async with Kiosk(sip.port) as kiosk:
        await kiosk.login()
        frame = kiosk.frame(f"11NN{TODAY}{BLANK}AOMAIN|AAP001|ABDEV001|")
        await kiosk.send_raw((frame + "\r").encode())
        first = await kiosk.read()
        await kiosk.send_raw((frame + "\r").encode())  # the kiosk did not hear the answer
        second = await kiosk.read()
        assert first == second and parse(first).fixed["ok"] == "1"
    assert await Loan.count() == 1


async def test_frames_with_cr_lf_fields_in_any_order_unknown_fields_and_no_trailer_are_answered(
    sip,
):
    async with Kiosk(sip.port) as kiosk:
        await kiosk.login()
        out = await kiosk.ask(
            f"11NN{TODAY}{BLANK}ABDEV001|ZZsomething new|AOMAIN|AAP001|", end="\r\n"
        )
        assert out.fixed["ok"] == "1" and out.get("AB") == "DEV001"
        plain = await kiosk.ask(f"17{TODAY}AOMAIN|ABDEV001", trailer=False)  # no final |
        assert plain.command == "18" and plain.sequence is None and plain.checksum is None
        assert plain.fixed["circulation_status"] == "04"


async def test_a_message_missing_a_required_field_is_refused_not_crashed(sip):
    async with Kiosk(sip.port) as kiosk:
        await kiosk.login()
        no_item = await kiosk.ask(f"11NN{TODAY}{BLANK}AOMAIN|AAP001|")
        assert no_item.command == "12" and no_item.fixed["ok"] == "0" and no_item.get("AF")
        no_patron = await kiosk.ask(f"23001{TODAY}AOMAIN|")
        assert no_patron.command == "24" and no_patron.get("BL") == "N"
        cut_short = kiosk.frame("11NN2026")  # fixed fields cut short
        await kiosk.send_raw((cut_short + "\r").encode())
        assert await kiosk.read() == "96AZFEF6"
        # The session goes on.
        assert (await kiosk.ask(f"17{TODAY}AOMAIN|ABDEV001|")).command == "18"


async def test_wrong_pins_at_a_kiosk_lock_the_card_as_resident_logins_do(sip, api):
    async with Kiosk(sip.port) as kiosk:
        await kiosk.login()
        for _ in range(5):
            r = await kiosk.ask(f"63001{TODAY}          AOMAIN|AAP002|AD0000|")
            assert r.get("CQ") == "N"
        right = await kiosk.ask(f"63001{TODAY}          AOMAIN|AAP002|AD1234|")
        assert right.get("CQ") == "N"  # locked out, even with the right PIN
    r = await api.client.post("/api/auth/token", json={"card_number": "P002", "pin": "1234"})
    assert r.status_code == 429


async def test_each_kiosk_message_writes_its_own_request_id_on_its_audit_events(sip, api):
    async with Kiosk(sip.port) as kiosk:
        assert (await kiosk.login()).fixed["ok"] == "1"
        out = await kiosk.ask(f"11NN{TODAY}{BLANK}AOMAIN|AAP001|ABDEV001|AD1234|")
        assert out.fixed["ok"] == "1", out
        back = await kiosk.ask(f"09N{TODAY}{TODAY}APMAIN|AOMAIN|ABDEV001|")
        assert back.fixed["ok"] == "1", back
    r = await api.client.get("/api/events?subject=DEV001", headers=api.headers["admin"])
    ids = {e["action"]: e["request_id"] for e in r.json()["items"] if e["actor"] == "sip:kiosk1"}
    assert ids["checkout"].startswith("sip-") and ids["checkin"].startswith("sip-")
    assert ids["checkout"] != ids["checkin"]
