"""Library cards checked against the library's ILS over SIP2 (LENDING_PATRON_SOURCE): the
client against pysip2's strict server and against a lenient fake that answers the way real ILSs
do (CR LF, no checksum, fields in any order, blank dates, no CQ, damaged frames, slow answers,
refused connections); resident logins through the API and card scans at the desk, on both
databases."""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from fake_ils import ACCOUNT, INSTITUTION, PASSWORD, FakeIls, IlsPatron, Pysip2Ils, self_signed_tls

from lending.circulation.cards import ils_block_reason, merge_ils_block
from lending.services.people import patron_source
from lending.settings import SettingsError
from lending.sip2.client import Sip2Unavailable, patron_information

NOW = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
CHICAGO = ZoneInfo("America/Chicago")
CARD = "21000000000017"  # a card the ILS knows and this system does not (yet)
FLAGS_CHARGE_DENIED_AND_FEES = "Y          Y  "  # charge privileges denied, excessive fees
FLAGS_LOST_CARD_AND_FEES = "    Y      Y  "  # card reported lost, excessive fees


@pytest.fixture(autouse=True)
def _empty_cache():
    patron_source.clear_cache()
    yield
    patron_source.clear_cache()


@pytest.fixture
async def ils():
    fake = await FakeIls().start()
    fake.add(CARD, name="Lovelace, Ada", email="ada@example.org", phone="555-0100")
    yield fake
    await fake.close()


@pytest.fixture
def strict_ils():
    server = Pysip2Ils({CARD: IlsPatron(CARD, name="Lovelace, Ada", email="ada@example.org")})
    server.start()
    yield server
    server.stop()


def endpoint(url: str, timeout: float = 2):
    return patron_source.parse_source(url, timeout)


async def refused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (a listener opened and closed)."""
    import asyncio

    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    return port


# -- the client ----------------------------------------------------------------------------


async def test_the_client_logs_in_then_reads_the_patron_from_pysip2_with_good_checksums(
    strict_ils, caplog
):
    caplog.set_level(logging.WARNING, "lending.sip2.client")

    info = await patron_information(endpoint(strict_ils.url()), CARD, "1234", NOW, CHICAGO)

    assert (info.valid_patron, info.valid_pin) == (True, True)
    assert info.name == "Lovelace, Ada"
    assert info.email == "ada@example.org"
    # pysip2 verified each checksum with its own codec (a bad one would have got a 96) and
    # echoed each sequence number, which the client checked.
    assert [(name, seq) for name, seq, _ in strict_ils.seen] == [
        ("LoginRequest", 0),
        ("PatronInformationRequest", 1),
    ]
    assert all(checksum for _, _, checksum in strict_ils.seen)
    assert "sequence" not in caplog.text


async def test_pysip2_says_a_wrong_pin_is_wrong_and_a_lookup_without_pin_checks_none(strict_ils):
    wrong = await patron_information(endpoint(strict_ils.url()), CARD, "9999", NOW, CHICAGO)
    without = await patron_information(endpoint(strict_ils.url()), CARD, None, NOW, CHICAGO)
    unknown = await patron_information(endpoint(strict_ils.url()), "NOSUCH", None, NOW, CHICAGO)

    assert (wrong.valid_patron, wrong.valid_pin) == (True, False)
    assert (without.valid_patron, without.valid_pin) == (True, None)
    assert unknown.valid_patron is False


@pytest.mark.parametrize(
    "variant",
    [
        {"terminator": "\r\n"},
        {"checksum": False},
        {"out_of_order": True},
        {"blank_dates": True},
        {"terminator": "\r\n", "checksum": False, "out_of_order": True, "blank_dates": True},
    ],
    ids=["cr-lf", "no-checksum", "fields-out-of-order", "blank-dates", "all-at-once"],
)
async def test_the_client_reads_answers_the_way_real_ilss_send_them(ils, variant):
    for name, value in variant.items():
        setattr(ils, name, value)
    ils.add(CARD, name="Ada", home="MAIN", fee="3.00", expires="20301231")

    info = await patron_information(endpoint(ils.url()), CARD, "1234", NOW, CHICAGO)

    assert (info.valid_patron, info.valid_pin, info.name) == (True, True, "Ada")
    assert (info.home_library, info.fee_amount, info.expires_on) == (
        "MAIN",
        "3.00",
        date(2030, 12, 31),
    )
    assert ils.commands() == ["93", "63"]


async def test_a_blank_expiry_date_is_no_expiry(ils):
    ils.add(CARD, expires="")

    info = await patron_information(endpoint(ils.url()), CARD, None, NOW, CHICAGO)

    assert info.valid_patron is True
    assert info.expires_on is None


async def test_the_pin_goes_to_the_ils_only_for_a_pin_check(ils):
    await patron_information(endpoint(ils.url()), CARD, "1234", NOW, CHICAGO)
    await patron_information(endpoint(ils.url()), CARD, None, NOW, CHICAGO)

    patron_requests = [frame for frame in ils.received if frame.startswith("63")]
    assert "|AD1234|" in patron_requests[0]
    assert "|AD" not in patron_requests[1]
    login = ils.received[0]
    assert login.startswith(f"9300CN{ACCOUNT}|CO{PASSWORD}|")  # percent-decoded from the URL
    assert f"AO{INSTITUTION}|" in patron_requests[0]


async def test_a_damaged_answer_is_asked_for_again_and_then_read(ils):
    ils.damaged = 1

    info = await patron_information(endpoint(ils.url()), CARD, "1234", NOW, CHICAGO)

    assert info.valid_pin is True
    assert ils.commands() == ["93", "97", "63"]


async def test_answers_that_keep_arriving_damaged_mean_the_ils_is_unavailable(ils):
    ils.damaged = 99

    with pytest.raises(Sip2Unavailable, match="damaged"):
        await patron_information(endpoint(ils.url()), CARD, "1234", NOW, CHICAGO)


async def test_a_slow_ils_is_given_up_on_after_the_timeout(ils):
    ils.delay = 2.0
    started = time.monotonic()

    with pytest.raises(Sip2Unavailable, match=r"did not answer within 0.3 s"):
        await patron_information(endpoint(ils.url(), timeout=0.3), CARD, "1234", NOW, CHICAGO)

    assert time.monotonic() - started < 1.5


async def test_a_refused_connection_says_the_ils_cannot_be_reached():
    port = await refused_port()

    with pytest.raises(Sip2Unavailable, match=rf"127.0.0.1:{port} cannot be reached"):
        await patron_information(endpoint(f"sip2://127.0.0.1:{port}"), CARD, None, NOW, CHICAGO)


async def test_a_refused_sip_login_says_to_check_the_account_and_never_shows_the_password(ils):
    url = f"sip2://{ACCOUNT}:wrong-password@127.0.0.1:{ils.port}?institution={INSTITUTION}"

    with pytest.raises(Sip2Unavailable, match="refused the SIP2 login") as refused:
        await patron_information(endpoint(url), CARD, "1234", NOW, CHICAGO)

    assert "wrong-password" not in str(refused.value)
    assert ils.commands() == ["93"]  # no patron request after a refused login


async def test_sip2s_talks_tls_verifying_the_ils_certificate_or_not_when_told(tmp_path):
    context, cert = self_signed_tls(tmp_path)
    fake = await FakeIls().start(tls=context)
    fake.add(CARD, name="Ada")
    try:
        unverified = endpoint(fake.url(tls="1", verify="0"))
        trusted = endpoint(fake.url(tls="1", cafile=str(cert)))
        assert (await patron_information(unverified, CARD, None, NOW)).name == "Ada"
        assert (await patron_information(trusted, CARD, None, NOW)).name == "Ada"
        with pytest.raises(Sip2Unavailable, match="TLS handshake"):
            await patron_information(endpoint(fake.url(tls="1")), CARD, None, NOW)
    finally:
        await fake.close()


# -- the source URL --------------------------------------------------------------------------


def test_the_source_url_is_read_with_its_options_and_a_percent_decoded_password():
    source = patron_source.parse_source(
        "sip2s://sip%20user:p%40ss%3Aw%2Frd@ils.example.org:6443"
        "?institution=CPL&location=MAIN&verify=0&encoding=utf-8",
        timeout=7,
    )

    assert (source.host, source.port, source.tls, source.verify) == (
        "ils.example.org",
        6443,
        True,
        False,
    )
    assert (source.account, source.password) == ("sip user", "p@ss:w/rd")
    assert (source.institution, source.location, source.encoding) == ("CPL", "MAIN", "utf-8")
    assert source.timeout == 7
    assert "p@ss" not in repr(source)
    plain = patron_source.parse_source("sip2://ils.example.org?tls=0")
    assert (plain.port, plain.tls, plain.encoding, plain.account) == (6001, False, "cp850", "")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("sip2://acct:secret-pw@ils:notaport?institution=X", "the port a number"),
        ("sip2://acct:secret-pw@:6001", "names no host"),
        ("sip2://acct:secret-pw@ils:6001?instituton=X", "unknown option 'instituton'"),
        ("sip2://acct:secret-pw@ils:6001?encoding=klingon", "unknown encoding"),
        ("sip2://acct:secret-pw@ils:6001?tls=maybe", "tls must be 1 or 0"),
        ("sip2://acct:secret-pw@ils:6001/path", "percent-encode"),
        ("http://acct:secret-pw@ils:6001", "must start with sip2://"),
    ],
)
def test_a_bad_source_url_is_a_plain_settings_error_that_never_shows_the_password(url, says):
    with pytest.raises(SettingsError, match=says) as bad:
        patron_source.parse_source(url)

    assert "LENDING_PATRON_SOURCE" in str(bad.value)
    assert "secret-pw" not in str(bad.value)


def test_the_ils_flags_and_fees_become_a_block_reason_and_a_staff_block_stays():
    assert ils_block_reason(" " * 14) is None
    assert ils_block_reason("   Y" + " " * 10) is None  # hold privileges only: still lends
    assert (
        ils_block_reason(FLAGS_CHARGE_DENIED_AND_FEES, "12.50")
        == "ILS: charge privileges denied; excessive fees (12.50)"
    )
    assert ils_block_reason(" " * 14, "25.00", "10.00") == (
        "ILS: fees over the limit (25.00, limit 10.00)"
    )
    assert ils_block_reason("Y") == "ILS: charge privileges denied"  # a short flag field

    assert merge_ils_block(False, None, "ILS: card reported lost") == (
        True,
        "ILS: card reported lost",
    )
    assert merge_ils_block(True, "ILS: card reported lost", None) == (False, None)
    assert merge_ils_block(True, "Damaged hotspot", None) == (True, "Damaged hotspot")
    assert merge_ils_block(True, "Damaged hotspot", "ILS: excessive fines") == (
        True,
        "Damaged hotspot",
    )


# -- resident logins through the API ---------------------------------------------------------


@pytest.fixture
async def app(db_url, clock, ils):
    """The app with LENDING_PATRON_SOURCE pointing at the fake ILS."""
    from lending.app import create_app
    from lending.settings import Settings

    settings = Settings(
        database_url=db_url,
        timezone="America/Chicago",
        secret_key="test-secret",
        patron_source=ils.url(),
        patron_source_timeout=2,
        patron_source_cache_seconds=300,
        login_max_failures=3,
    )
    return create_app(settings, clock=clock)


async def resident_login(api, card: str = CARD, pin: str = "1234"):
    return await api.client.post("/api/auth/token", json={"card_number": card, "pin": pin})


async def patron(api, card: str = CARD):
    r = await api.client.get(f"/api/patrons/{card}", headers=api.headers["admin"])
    return r


async def test_a_resident_logs_in_with_an_ils_card_and_becomes_a_local_patron(api, library, ils):
    ils.add(
        CARD,
        name="Lovelace, Ada",
        email="ada@example.org",
        phone="555-0100",
        home="MAIN",
        expires="20301231",
        status=FLAGS_CHARGE_DENIED_AND_FEES,
        fee="12.50",
    )

    r = await resident_login(api)

    assert r.status_code == 200, r.text
    assert r.json()["role"] == "resident"
    me = await api.client.get(
        "/api/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )
    assert me.json()["name"] == "Lovelace, Ada"
    local = (await patron(api)).json()
    assert (local["email"], local["phone"], local["branch"]) == (
        "ada@example.org",
        "555-0100",
        "MAIN",
    )
    assert local["expires_on"] == "2030-12-31"
    assert local["blocked"] is True
    assert local["block_reason"] == "ILS: charge privileges denied; excessive fees (12.50)"
    events = await api.client.get(
        "/api/events?action=patron_refreshed_from_ils", headers=api.headers["admin"]
    )
    assert [e["subject"] for e in events.json()["items"]] == [CARD]


async def test_a_login_is_refused_when_the_ils_leaves_out_whether_the_pin_was_right(
    api, library, ils
):
    ils.send_cq = False

    r = await resident_login(api)

    assert r.status_code == 401, r.text
    assert r.json()["code"] == "invalid_credentials"
    assert (await patron(api)).status_code == 404  # nobody created


async def test_a_wrong_pin_is_refused_and_counts_toward_the_lockout(api, library, ils):
    for _ in range(3):
        r = await resident_login(api, pin="9999")
        assert r.status_code == 401, r.text
        assert r.json()["code"] == "invalid_credentials"
    asked = ils.commands().count("63")

    r = await resident_login(api)  # the right PIN, but the card is locked out now

    assert r.status_code == 429, r.text
    assert ils.commands().count("63") == asked  # refused before asking the ILS


async def test_with_the_ils_down_a_login_gets_503_and_is_not_counted_as_a_failure(
    api, library, ils
):
    await ils.close()

    for _ in range(4):  # more than login_max_failures: none of them is the resident's fault
        r = await resident_login(api)
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "patron_source_unavailable"
        assert "did not answer" in r.json()["detail"]
    assert "127.0.0.1" not in r.json()["detail"]  # the ILS's address stays in the log


async def test_the_ils_lifting_its_block_clears_it_but_a_block_staff_set_stays(
    api, library, ils, clock
):
    ils.add(CARD, status=FLAGS_LOST_CARD_AND_FEES, fee="40.00")
    assert (await resident_login(api)).status_code == 200
    assert (await patron(api)).json()["block_reason"] == (
        "ILS: card reported lost; excessive fees (40.00)"
    )

    ils.patrons[CARD].status, ils.patrons[CARD].fee = " " * 14, ""
    assert (await resident_login(api)).status_code == 200  # a PIN check always asks the ILS
    assert (await patron(api)).json()["blocked"] is False

    r = await api.client.patch(
        f"/api/patrons/{CARD}",
        json={"blocked": True, "block_reason": "Damaged hotspot"},
        headers=api.headers["admin"],
    )
    assert r.status_code == 200, r.text
    ils.patrons[CARD].status = FLAGS_LOST_CARD_AND_FEES
    assert (await resident_login(api)).status_code == 200
    local = (await patron(api)).json()
    assert (local["blocked"], local["block_reason"]) == (True, "Damaged hotspot")


# -- card scans at the desk --------------------------------------------------------------------


@pytest.fixture
async def desk_scan(app, api, library, clock):
    """`desk_scan(code, patron_card=None, timeout=None)`: a checkout-mode scan at the desk, as
    the desk user, with the app's settings (its ILS; `timeout`: another ILS timeout)."""
    from lending.services.actors import Actor
    from lending.services.people.patrons import patron_by_card
    from lending.tables import StaffUser
    from lending.web.desk.scan import checkout_scan

    staff = await StaffUser.select(StaffUser.id).where(StaffUser.username == "desk").first()
    actor = Actor("desk", "desk", staff_id=staff["id"])

    async def scan(code: str, patron_card: str | None = None, *, timeout: float | None = None):
        selected = await patron_by_card(patron_card) if patron_card else None
        settings = app.state.settings
        if timeout is not None:
            settings = dataclasses.replace(settings, patron_source_timeout=timeout)
        return await checkout_scan(
            actor, clock.now, code, selected, "America/Chicago", settings=settings
        )

    return scan


async def test_a_desk_scan_of_a_card_known_only_to_the_ils_adds_the_patron_to_lend_to(
    desk_scan, ils
):
    result, selected = await desk_scan(CARD)

    assert (result.kind, result.title) == ("ok", "Patron: Lovelace, Ada")
    assert result.lines[0] == "New here: added from the ILS."
    assert selected["card_number"] == CARD
    assert "|AD" not in ils.received[-1]  # a scan sends no PIN
    lent, _ = await desk_scan("DEV001", CARD)
    assert (lent.kind, lent.action) == ("ok", "checkout")
    assert lent.title == "Checked out: DEV001 (hotspot) to Lovelace, Ada"


async def test_a_desk_scan_refreshes_a_known_patron_and_shows_the_ils_block(desk_scan, ils):
    ils.add("P003", name="Cy Young", status="    Y" + " " * 9)

    result, selected = await desk_scan("P003")

    assert (result.kind, result.title) == ("warn", "Patron: Cy Young")
    assert result.lines == ["Blocked: ILS: card reported lost. Ask the patron to see a librarian."]
    refused, _ = await desk_scan("DEV001", "P003")
    assert (refused.kind, refused.action) == ("bad", "refused")


async def test_with_the_ils_down_a_known_patron_still_borrows_with_a_not_rechecked_warning(
    desk_scan, ils
):
    await ils.close()

    result, selected = await desk_scan("P003")

    assert (result.kind, result.title) == ("warn", "Patron: Cy")
    assert result.lines[0] == (
        "Not rechecked with the ILS (it did not answer): lending on what is known here."
    )
    lent, _ = await desk_scan("DEV001", "P003")
    assert (lent.kind, lent.action) == ("ok", "checkout")


async def test_with_the_ils_slow_a_known_patron_still_borrows_with_a_not_rechecked_warning(
    desk_scan, ils
):
    ils.delay = 2.0
    started = time.monotonic()

    result, _ = await desk_scan("P003", timeout=0.3)

    assert time.monotonic() - started < 1.5
    assert result.kind == "warn"
    assert result.lines[0].startswith("Not rechecked with the ILS (it did not answer)")


async def test_a_known_patron_the_ils_does_not_know_is_selected_with_a_warning(desk_scan, ils):
    result, selected = await desk_scan("P001")

    assert (result.kind, result.title) == ("warn", "Patron: Ana")
    assert (
        result.lines[0] == "The ILS does not know this card: check the patron's ID before lending."
    )
    assert selected["card_number"] == "P001"


async def test_with_the_ils_down_an_unknown_card_is_refused_plainly(desk_scan, ils):
    await ils.close()

    result, selected = await desk_scan(CARD)

    assert (result.kind, result.action) == ("bad", "refused")
    assert result.title == "The ILS did not answer; this card is not known here yet"
    assert selected is None


async def test_a_code_neither_here_nor_in_the_ils_is_unknown(desk_scan, ils):
    result, selected = await desk_scan("NOSUCH42")

    assert (result.kind, result.action) == ("bad", "not_found")
    assert result.title == "No library card or device has this code"
    assert selected is None


async def test_a_device_scan_never_waits_for_the_ils(desk_scan, ils):
    alone, _ = await desk_scan("DEV001")
    lent, _ = await desk_scan("DEV002", "P001")

    assert alone.title == "Scan a library card first (DEV001 is a device)"
    assert lent.action == "checkout"
    assert ils.connections == 0


async def test_the_cache_spares_a_second_round_trip_within_its_window_but_not_a_pin_check(
    desk_scan, api, ils, clock
):
    await desk_scan(CARD)
    again, _ = await desk_scan(CARD)
    assert (again.kind, again.title) == ("ok", "Patron: Lovelace, Ada")
    assert ils.connections == 1

    assert (await resident_login(api)).status_code == 200
    assert ils.connections == 2  # a PIN is checked by the ILS itself, never from the cache

    clock.advance(seconds=301)
    await desk_scan(CARD)
    assert ils.connections == 3
