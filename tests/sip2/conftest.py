"""A SIP2 server in the test's event loop, on the `app` fixture's database, with one kiosk
account (kiosk1, lending at MAIN) and the `library` fixture's devices and patrons."""

from __future__ import annotations

from typing import Any

import pytest
from kiosk import start_sip_server


@pytest.fixture
async def sip(app, api, library, clock) -> Any:
    from lending.services.access.sip_accounts import add_sip_account
    from lending.services.actors import SYSTEM

    await add_sip_account(
        SYSTEM, clock.now, name="kiosk1", password="kiosk-pass-1", service_point="MAIN"
    )
    server = await start_sip_server(app.state.settings, clock, sip2_idle_seconds=5)
    yield server
    await server.close()
