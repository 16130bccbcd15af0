"""Bearer-token authentication and the permission guards built from the permission table
(lending/circulation/permissions.py). Guards run before the body is parsed, so an anonymous
request with a bad body still gets 401."""

from __future__ import annotations

from datetime import datetime

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from ..circulation import Forbidden, Unauthenticated
from ..circulation.permissions import Action, allows_any, refusal
from ..services.actors import Actor
from ..services.auth import authenticate

__all__ = ["Requires", "provide_actor", "provide_now", "requires"]


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


class Requires:
    """A guard: the caller's role may do at least one of `actions` (403 `forbidden` if not).
    When the body decides which of them the request does, the service checks that one."""

    def __init__(self, actions: tuple[Action, ...]) -> None:
        self.actions = actions

    async def __call__(self, connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if not allows_any((await _actor(connection)).role, self.actions):
            raise Forbidden(refusal(self.actions[0]))

    def __repr__(self) -> str:
        return f"requires({', '.join(a.value for a in self.actions)})"


def requires(*actions: Action) -> Requires:
    return Requires(actions)


async def provide_actor(request: Request) -> Actor:
    return await _actor(request)


def provide_now(request: Request) -> datetime:
    return _clock(request)
