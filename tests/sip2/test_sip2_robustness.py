"""The SIP2 server under what real networks and broken terminals send: frames of random bytes,
a 100 kB line, a half-sent message, a client that goes quiet mid-frame; none of them crashes
the server or holds up another session. And 200 kiosk sessions at once, each checking a device
out and in, on PostgreSQL: every one succeeds and no device is lent twice."""

from __future__ import annotations

import asyncio
import random

import pytest
from kiosk import TODAY, Kiosk

BLANK = " " * 18


async def _still_serving(port: int) -> None:
    async with Kiosk(port) as kiosk:
        assert (await kiosk.login()).fixed["ok"] == "1"
        assert (await kiosk.ask(f"17{TODAY}AOMAIN|ABDEV001|")).command == "18"


async def test_frames_of_random_bytes_are_answered_or_closed_and_the_server_keeps_serving(sip):
    rng = random.Random(15)
    for _ in range(20):
        async with Kiosk(sip.port) as kiosk:
            await kiosk.login()
            junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
            await kiosk.send_raw(junk.replace(b"\r", b"") + b"\r")
            response = await kiosk.read()
            assert response is None or response == "96AZFEF6"
    await _still_serving(sip.port)


async def test_a_100_kb_line_ends_only_that_session(sip):
    async with Kiosk(sip.port) as other:
        await other.login()
        async with Kiosk(sip.port) as kiosk:
            await kiosk.login()
            await kiosk.send_raw(b"17" + b"A" * 100_000 + b"\r")
            assert await kiosk.read() in ("96AZFEF6", None)
            assert await kiosk.read() is None  # closed
        assert (await other.ask(f"17{TODAY}AOMAIN|ABDEV001|")).command == "18"


async def test_a_half_sent_message_and_a_quiet_client_do_not_hold_up_other_sessions(sip):
    quiet = Kiosk(sip.port)
    await quiet.__aenter__()
    await quiet.login()
    await quiet.send_raw(b"11NN20261201")  # half a checkout, then nothing
    half = Kiosk(sip.port)
    await half.__aenter__()
    await half.send_raw(b"9300CNkiosk1|CO")  # half a login, then the connection goes
    await half.__aexit__()
    started = asyncio.get_running_loop().time()
    await _still_serving(sip.port)
    assert asyncio.get_running_loop().time() - started < 5  # not behind the quiet one
    # The quiet one is closed after the idle timeout (5 s here), nothing lent.
    assert await quiet.read(timeout=15) is None
    await quiet.__aexit__()
    from lending.tables import Loan

    assert await Loan.count() == 0


@pytest.mark.postgres
async def test_two_hundred_kiosk_sessions_at_once_each_check_out_and_in_with_no_double_loan(
    sip, database
):
    if database.kind != "postgres":
        pytest.skip("concurrency is PostgreSQL's (SQLite has one writer)")
    from lending.tables import Branch, Device, Loan, Patron

    n = 200
    main = (await Branch.select(Branch.id).where(Branch.code == "MAIN").first())["id"]
    await Device.insert(
        *[
            Device(barcode=f"K{i:03d}", kind="tablet", model="Tab", serial_number=f"KS{i}",
                   branch=main, status="available", created_at=sip.clock(), updated_at=sip.clock())
            for i in range(n)
        ]
    )  # fmt: skip
    await Patron.insert(
        *[Patron(card_number=f"KP{i:03d}", name=f"Kiosk patron {i}", created_at=sip.clock())
          for i in range(n)]
    )  # fmt: skip

    async def one(i: int) -> tuple[str, str]:
        async with Kiosk(sip.port) as kiosk:
            assert (await kiosk.login()).fixed["ok"] == "1"
            # Every session also tries the same shared device: only one may get it.
            shared = await kiosk.ask(f"11NN{TODAY}{BLANK}AOMAIN|AAKP{i:03d}|ABDEV004|")
            out = await kiosk.ask(f"11NN{TODAY}{BLANK}AOMAIN|AAKP{i:03d}|ABK{i:03d}|")
            back = await kiosk.ask(f"09N{TODAY}{TODAY}APMAIN|AOMAIN|ABK{i:03d}|")
            return shared.fixed["ok"], out.fixed["ok"] + back.fixed["ok"]

    results = await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(n))), 240)
    assert [r[1] for r in results] == ["11"] * n
    assert [r[0] for r in results].count("1") == 1
    open_loans = await Loan.count().where(Loan.returned_at.is_null())
    assert open_loans == 1  # the shared device, once
