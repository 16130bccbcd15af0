"""Bearer-token authentication and role guards. Guards run before the body is parsed, so an
anonymous request with a bad body still gets 401."""

from __future__ import annotations

from datetime import datetime

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from ..circulation import Forbidden, Unauthenticated
from ..services.actors import Actor
from ..services.auth import authenticate

__all__ = ["admin_only", "provide_actor", "provide_now", "resident_only", "staff_only"]


def _clock(connection: ASGIConnection) -> datetime:
    return connection.app.state.clock()


async def _actor(connection: ASGIConnection) -> Actor:
    cached = connection.scope.get("lending_actor")
    if cached is not None:
        return cached
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > 512:
        raise Unauthenticated("Log in and send the token as 'Authorization: Bearer <token>'.")
    actor = await authenticate(token.strip(), _clock(connection))
    connection.scope["lending_actor"] = actor  # type: ignore[typeddict-unknown-key]
    return actor


async def staff_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if not (await _actor(connection)).is_staff:
        raise Forbidden("This needs a staff account.")


async def admin_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if (await _actor(connection)).role != "admin":
        raise Forbidden("This needs an admin account.")


async def resident_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if (await _actor(connection)).role != "resident":
        raise Forbidden("This is for residents logged in with card number and PIN.")


async def provide_actor(request: Request) -> Actor:
    return await _actor(request)


def provide_now(request: Request) -> datetime:
    return _clock(request)
