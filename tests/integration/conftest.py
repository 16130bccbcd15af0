"""A real `lending serve --workers 2` process per module and database kind, for tests that need
true concurrency (several requests in flight at once, across two uvicorn worker processes).

Tests seed what they need through the API with codes of their own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live_server import ADMIN_PASSWORD, LENDING, LiveServer, running_server

__all__ = ["ADMIN_PASSWORD", "LENDING", "LiveServer"]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live_server(request, tmp_path_factory) -> Iterator[LiveServer]:
    kind = request.param
    with running_server(kind, tmp_path_factory.mktemp(f"live-{kind}")) as server:
        yield server
