"""Search boxes match what was typed: `%`, `_` and `\\` are characters, not wildcards."""

import pytest

from lending.circulation import luhn_check_digit


async def _patron(api, card, name):
    r = await api.client.post(
        "/api/patrons",
        json={"card_number": card, "name": name, "branch": "MAIN", "expires_on": "2030-01-01"},
        headers=api.headers["admin"],
    )
    assert r.status_code == 201, r.text


async def _patrons(api, q):
    r = await api.client.get("/api/patrons", params={"q": q}, headers=api.headers["desk"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    return sorted(p["card_number"] for p in body["items"])


async def _devices(api, q):
    r = await api.client.get("/api/devices", params={"q": q}, headers=api.headers["desk"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    return sorted(d["barcode"] for d in body["items"])


@pytest.fixture
async def odd_names(api, library):
    await _patron(api, "P100", "Ann 100% Ortiz")
    await _patron(api, "P101", "Bo_Lee")
    await _patron(api, "P102", "C\\D Rivera")
    await _patron(api, "P103", "Ann 1000 Ortiz")


async def test_a_percent_sign_in_a_patron_search_finds_only_names_with_a_percent_sign(
    api, odd_names
):
    assert await _patrons(api, "%") == ["P100"]
    assert await _patrons(api, "100%") == ["P100"]


async def test_an_underscore_in_a_patron_search_is_not_a_single_character_wildcard(api, odd_names):
    assert await _patrons(api, "_") == ["P101"]
    assert await _patrons(api, "Bo_") == ["P101"]
    assert await _patrons(api, "Ann 100_") == []


async def test_a_backslash_in_a_patron_search_matches_a_backslash(api, odd_names):
    assert await _patrons(api, "\\") == ["P102"]
    assert await _patrons(api, "C\\D") == ["P102"]
    assert await _patrons(api, "\\%") == []


async def test_patron_search_still_ignores_case_and_matches_any_part(api, odd_names):
    assert await _patrons(api, "ortiz") == ["P100", "P103"]
    assert await _patrons(api, "p10") == ["P100", "P101", "P102", "P103"]


async def test_device_search_takes_wildcards_literally(api, library):
    r = await api.client.post(
        "/api/devices",
        json={
            "barcode": "HS_900",
            "kind": "hotspot",
            "model": "50% Max",
            "serial_number": "S-900",
            "branch": "MAIN",
        },
        headers=api.headers["admin"],
    )
    assert r.status_code == 201, r.text

    assert await _devices(api, "%") == ["HS_900"]
    assert await _devices(api, "_") == ["HS_900"]
    assert await _devices(api, "dev") == ["DEV001", "DEV002", "DEV003", "DEV004", "DEV005"]


async def test_line_search_takes_wildcards_literally(api, library):
    body = "8901410000000000007"[:18]
    iccid = body + str(luhn_check_digit(body))
    r = await api.client.post(
        "/api/lines",
        json={"iccid": iccid, "phone_number": "+15550100107", "carrier": "T-Mobile"},
        headers=api.headers["admin"],
    )
    assert r.status_code == 201, r.text

    async def lines(q):
        r = await api.client.get("/api/lines", params={"q": q}, headers=api.headers["admin"])
        assert r.status_code == 200, r.text
        return [line["iccid"] for line in r.json()["items"]]

    assert await lines("%") == []
    assert await lines("_") == []
    assert await lines(iccid[-6:]) == [iccid]
