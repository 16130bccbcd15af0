"""Offline circulation: a desk uploads the work it queued without a connection; staff see
how each transaction came out and resolve the exceptions."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.params import FromQuery, Parameter

from ..circulation.permissions import Action
from ..schemas.offline import (
    DiscardIn,
    OfflineExceptionList,
    OfflineKitOut,
    OfflineResultOut,
    OfflineSessionIn,
    OfflineSessionList,
    OfflineSessionOut,
    Uid,
)
from ..services.offline import exceptions, kit, replay
from .common import ActorDep, Id, JSONBody, Limit, Now, Offset, SettingsDep, errors
from .security import requires

__all__ = ["OfflineController"]

Point = Annotated[str, Parameter(min_length=1, max_length=32, description="service point code")]
# 5,000 transactions of a few hundred bytes each.
MAX_SESSION_BYTES = 4 * 1024 * 1024


class OfflineController(Controller):
    path = "/api/offline"
    tags = ["offline"]

    @post(
        "/sessions",
        status_code=200,
        guards=[requires(Action.OFFLINE_UPLOAD)],
        request_max_body_size=MAX_SESSION_BYTES,
        responses=errors(400, 401, 403, 422),
    )
    async def upload(
        self, data: JSONBody[OfflineSessionIn], actor: ActorDep, now: Now, settings: SettingsDep
    ) -> OfflineSessionOut:
        """Replay a desk's offline session in the order it happened, each transaction as of
        its own time and as its clerk, through the same rules as online. Each result is
        `applied` or `exception` (with the refusal's `code`); nothing is dropped. Uploading the
        same session again replays nothing and returns the first replay's results
        (`already_uploaded`). A session with a bad transaction (duplicate ids, a time in the
        future, an unknown clerk, or another clerk's work for a non-admin) is a 422 and
        nothing is replayed."""
        return await replay.replay_session(actor, now, data, settings.timezone)

    @get("/kit", guards=[requires(Action.OFFLINE_UPLOAD)], responses=errors(401, 403, 422))
    async def offline_kit(self, service_point: Point, now: Now) -> OfflineKitOut:
        """What the desk at `service_point` caches to keep lending offline: each kind's due
        date for a checkout on each of the next 7 days (by the online rule: closed days, a
        vehicle's stops), its renewals, and the cards that are blocked or expire soon."""
        return await kit.offline_kit(service_point, now)

    @get("/sessions", guards=[requires(Action.OFFLINE_UPLOAD)], responses=errors(401, 403, 422))
    async def sessions(
        self, settings: SettingsDep, limit: Limit = 50, offset: Offset = 0
    ) -> OfflineSessionList:
        return await exceptions.list_sessions(settings.timezone, limit=limit, offset=offset)

    @get(
        "/sessions/{session_id:str}",
        guards=[requires(Action.OFFLINE_UPLOAD)],
        responses=errors(401, 403, 404, 422),
    )
    async def session(self, session_id: Uid, settings: SettingsDep) -> OfflineSessionOut:
        return await exceptions.get_session(session_id, settings.timezone)

    @get("/exceptions", guards=[requires(Action.OFFLINE_RESOLVE)], responses=errors(401, 403, 422))
    async def exception_list(
        self,
        settings: SettingsDep,
        status: FromQuery[Literal["exception", "resolved", "discarded"]] = "exception",
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> OfflineExceptionList:
        """The exceptions list (`status=exception`: still to resolve), oldest first."""
        return await exceptions.list_exceptions(
            settings.timezone, status=status, limit=limit, offset=offset
        )

    @post(
        "/exceptions/{entry:int}/apply",
        status_code=200,
        guards=[requires(Action.OFFLINE_RESOLVE)],
        responses=errors(401, 403, 404, 409, 422),
    )
    async def apply(
        self, entry: Id, actor: ActorDep, now: Now, settings: SettingsDep
    ) -> OfflineResultOut:
        """Apply the queued transaction now, under the caller's name. Refused again: the
        refusal (409 with its code) and it stays on the list."""
        return await exceptions.apply_exception(actor, now, entry, settings.timezone)

    @post(
        "/exceptions/{entry:int}/discard",
        status_code=200,
        guards=[requires(Action.OFFLINE_RESOLVE)],
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def discard(
        self,
        entry: Id,
        data: JSONBody[DiscardIn],
        actor: ActorDep,
        now: Now,
        settings: SettingsDep,
    ) -> OfflineResultOut:
        return await exceptions.discard_exception(actor, now, entry, data.reason, settings.timezone)
