"""Errors on pages are pages; an unknown address asked for by an API client stays problem+json."""

from __future__ import annotations


async def test_a_browser_gets_a_404_page_for_an_unknown_address(client):
    r = await client.get("/nothing-here", headers={"accept": "text/html,*/*;q=0.8"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "There is no page at this address." in r.text


async def test_an_api_client_gets_problem_json_for_an_unknown_address(client):
    r = await client.get("/nothing-here", headers={"accept": "*/*"})
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "not_found"


async def test_an_unknown_page_under_the_admin_console_is_a_page_even_for_other_clients(client):
    r = await client.get("/admin/nothing-here", headers={"accept": "*/*"})
    assert r.headers["content-type"].startswith("text/html")


async def test_a_spanish_reader_gets_the_405_and_404_pages_in_spanish(client):
    spanish = {"accept": "text/html", "accept-language": "es-US,es;q=0.9"}
    wrong_method = await client.put("/my/login", headers=spanish)
    missing = await client.get("/my/nothing-here", headers=spanish)

    assert wrong_method.status_code == 405
    assert "Esta página no se puede usar de esa manera." in wrong_method.text
    assert "Algo salió mal" in wrong_method.text and "cannot be used" not in wrong_method.text
    assert missing.status_code == 404
    assert "No hay ninguna página en esta dirección." in missing.text


async def test_an_english_reader_still_gets_the_405_page_in_english(client):
    r = await client.put("/my/login", headers={"accept": "text/html"})
    assert r.status_code == 405 and "This page cannot be used that way." in r.text
