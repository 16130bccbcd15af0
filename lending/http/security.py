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
from ..services.access import tokens
from ..services.access.auth import authenticate
from ..services.actors import Actor
from .common import Now

__all__ = ["Requires", "provide_actor", "provide_now", "requires"]


def _clock(connection: ASGIConnection) -> datetime:
    return connection.app.state.clock()


async def _actor(connection: ASGIConnection, *, remembered: bool = False) -> Actor:
    cached = connection.scope.get("lending_actor")
    if cached is not None:
        return cached
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > 512:
        raise Unauthenticated("Log in and send the token as 'Authorization: Bearer <token>'.")
    if remembered:
        actor = await tokens.actor_for(token.strip(), _clock(connection))
    else:
        actor = await authenticate(token.strip(), _clock(connection))
    connection.scope["lending_actor"] = actor  # type: ignore[typeddict-unknown-key]
    return actor


class Requires:
    """A guard: the caller's role may do at least one of `actions` (403 `forbidden` if not).
    When the body decides which of them the request does, the service checks that one.

    `checked_in_service`: the hot routes (checkout, checkin, renew), whose service checks a
    remembered token again in its facts query (services/access/tokens.py), so the guard sends none."""

    def __init__(self, actions: tuple[Action, ...], checked_in_service: bool = False) -> None:
        self.actions = actions
        self.checked_in_service = checked_in_service

    async def __call__(self, connection: ASGIConnection, _: BaseRouteHandler) -> None:
        actor = await _actor(connection, remembered=self.checked_in_service)
        if not allows_any(actor.role, self.actions) and actor.token_digest is not None:
            # A remembered role may be out of date: ask the database before refusing.
            tokens.forget(actor.token_digest)
            connection.scope.pop("lending_actor", None)  # type: ignore[misc]
            actor = await _actor(connection)
            connection.scope["lending_actor"] = actor  # type: ignore[typeddict-unknown-key]
        if not allows_any(actor.role, self.actions):
            raise Forbidden(refusal(self.actions[0]))

    def __repr__(self) -> str:
        return f"requires({', '.join(a.value for a in self.actions)})"


def requires(*actions: Action, checked_in_service: bool = False) -> Requires:
    return Requires(actions, checked_in_service)


async def provide_actor(request: Request, now: Now) -> Actor:
    """`now` is asked for only to order the two: Litestar resolves dependencies of one level
    concurrently in an anyio task group, which costs more than either; `now` first, then the
    actor, each on its own, costs neither (the actor reads the same clock)."""
    return await _actor(request)


def provide_now(request: Request) -> datetime:
    return _clock(request)
