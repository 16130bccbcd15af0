"""The hot path's round trips on PostgreSQL: checkout, checkin and renew each send at most four
statements, the token check included (the facts query that takes the locks, the statement that
writes, the transaction's BEGIN and COMMIT). Counted by wrapping asyncpg's connection methods,
after a warm-up cycle (the per-connection statement cache and the token check are primed)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
import pytest

ROUND_TRIPS = 4
SENDERS = ("execute", "executemany", "fetch", "fetchrow", "fetchval")


@contextmanager
def counted_statements(monkeypatch) -> Iterator[list[str]]:
    """Every statement sent to PostgreSQL while the block runs (one round trip each)."""
    sent: list[str] = []
    with monkeypatch.context() as patch:
        for name in SENDERS:
            original = getattr(asyncpg.connection.Connection, name)

            def counting(self, query, *args, _original=original, **kwargs):
                sent.append(query)
                return _original(self, query, *args, **kwargs)

            patch.setattr(asyncpg.connection.Connection, name, counting)
        yield sent


@pytest.fixture
def postgres_only(database):
    if database.kind != "postgres":
        pytest.skip("the round-trip budget is PostgreSQL's (SQLite may take more)")


async def _cycle(desk) -> dict:
    loan = await desk.checked_out("P003", "DEV001")
    assert (await desk.renew(loan["id"])).status_code == 200
    await desk.checked_in("DEV001")
    return loan


async def test_a_checkout_takes_at_most_four_round_trips_token_check_included(
    postgres_only, desk, monkeypatch
):
    await _cycle(desk)

    with counted_statements(monkeypatch) as sent:
        r = await desk.checkout("P003", "DEV001")

    assert r.status_code == 201, r.text
    assert len(sent) <= ROUND_TRIPS, f"{len(sent)} statements: {sent}"


async def test_a_renewal_takes_at_most_four_round_trips_token_check_included(
    postgres_only, desk, monkeypatch
):
    await _cycle(desk)
    loan = await desk.checked_out("P003", "DEV001")

    with counted_statements(monkeypatch) as sent:
        r = await desk.renew(loan["id"])

    assert r.status_code == 200, r.text
    assert r.json()["loan"]["renewals"] == 1
    assert len(sent) <= ROUND_TRIPS, f"{len(sent)} statements: {sent}"


async def test_a_checkin_takes_at_most_four_round_trips_token_check_included(
    postgres_only, desk, monkeypatch
):
    await _cycle(desk)
    await desk.checked_out("P003", "DEV001")

    with counted_statements(monkeypatch) as sent:
        r = await desk.checkin("DEV001")

    assert r.status_code == 200, r.text
    assert r.json()["device"]["status"] == "available"
    assert len(sent) <= ROUND_TRIPS, f"{len(sent)} statements: {sent}"
