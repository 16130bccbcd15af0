"""The desk without a connection (issue 14), the page side.

- `GET /desk/offline/kit`: what `static/offline.js` keeps in IndexedDB to go on lending offline
  (lending.services.offline.kit): each kind's due date for a checkout made on each of the next
  days, and the cards that must not borrow. `?service_point=CODE`, else the desk's default
  point (the first active branch desk).
- `POST /desk/offline/upload`: the queue the desk built offline, as ONE session in the API's
  upload body (schemas.offline.OfflineSessionIn), replayed by lending.services.offline.replay
  as the page's actor. JSON in, JSON out (the same fields as the API's answer, plus the
  refusal codes in words); a session uploaded again replays nothing.
- `GET /desk/offline/sw.js`: a small service worker that keeps a copy of /desk and its
  scripts, so reloading the desk with no connection still opens it (and its queue).
- `GET /desk/offline`: the exceptions list (what a replay could not apply), with "Apply now"
  and "Discard" (a reason is required), through lending.services.offline.exceptions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from ...circulation import LendingError, NotFound
from ...circulation.codes import ERRORS, Code
from ...circulation.permissions import Action
from ...circulation.schedules import ServicePointType
from ...schemas.base import MAX_ID
from ...schemas.offline import OfflineSessionIn
from ...services._common.request_context import current_request_id
from ...services.offline import exceptions, kit, replay
from ...tables import ServicePoint
from ..pages import read_form, render, requires_page, see_other
from ..sessions import page_actor

__all__ = ["CODE_WORDS", "DeskOfflineController", "code_words"]

STATIC = Path(__file__).resolve().parents[1] / "static"
MAX_SESSION_BYTES = 4 * 1024 * 1024  # as the API's upload
MAX_REASON = 500
PAGE_SIZE = 100
NO_STORE = {"cache-control": "no-store"}

# The refusals an offline replay meets most, in the desk's words; others use the registry's.
CODE_WORDS: dict[str, str] = {
    Code.DEVICE_UNAVAILABLE: "The device was not on the shelf to lend (already on loan to "
    "someone else, on the hold shelf, in repair...).",
    Code.DEVICE_NOT_FOUND: "No device has this barcode.",
    Code.PATRON_NOT_FOUND: "No patron has this card number.",
    Code.NOT_ON_LOAN: "The device was not on loan: nothing to check in or renew.",
    Code.PATRON_BLOCKED: "The patron's account is blocked.",
    Code.PATRON_EXPIRED: "The patron's card has expired.",
    Code.PATRON_HAS_OVERDUE: "The patron (or their household) has overdue loans.",
    Code.LOAN_LIMIT_REACHED: "The patron already has the most loans of this kind.",
    Code.RENEWAL_LIMIT_REACHED: "The loan was already renewed the most times allowed.",
    Code.RENEWAL_BLOCKED_BY_HOLDS: "Others are waiting for this kind: it cannot be renewed.",
    Code.OFFLINE_OUT_OF_ORDER: "The device's record already shows it lent or returned after "
    "this offline scan: a librarian decides.",
    Code.OFFLINE_EXCEPTION_RESOLVED: "It was already applied or discarded.",
    Code.OFFLINE_EXCEPTION_NOT_FOUND: "It is not on the exceptions list (any more).",
}


def code_words(code: str | None) -> str:
    if not code:
        return ""
    if code in CODE_WORDS:
        return CODE_WORDS[code]
    try:
        return ERRORS[Code(code)].meaning.split("; `")[0]
    except (ValueError, KeyError):
        return code


def _json(body: Any, status: int = 200) -> Response[bytes]:
    return Response(
        msgspec.json.encode(body),
        status_code=status,
        media_type="application/json",
        headers=NO_STORE,
    )


def _problem(status: int, detail: str, code: str, errors: list[dict[str, str]] | None = None):
    body = {"status": status, "detail": detail, "code": code, "errors": errors or []}
    return _json({**body, "request_id": current_request_id()}, status)


def _refused(exc: LendingError) -> Response[bytes]:
    errors = [{"field": e.field, "message": e.message} for e in getattr(exc, "errors", []) or []]
    return _problem(exc.status, exc.detail, exc.code.value, errors)


async def _default_point() -> str | None:
    row = (
        await ServicePoint.select(ServicePoint.code)
        .where((ServicePoint.active == True) & (ServicePoint.type == ServicePointType.BRANCH))  # noqa: E712
        .order_by(ServicePoint.id)
        .first()
    )
    return row["code"] if row else None


def _entry(raw: int) -> int:
    if not 1 <= raw <= MAX_ID:
        raise NotFound(f"No offline exception {raw}.", Code.OFFLINE_EXCEPTION_NOT_FOUND)
    return raw


class DeskOfflineController(Controller):
    path = "/desk/offline"
    include_in_schema = False

    @get("/kit", guards=[requires_page(Action.OFFLINE_UPLOAD)])
    async def kit(
        self, request: Request, service_point: FromQuery[str | None] = None
    ) -> Response[bytes]:
        """The offline kit for the desk's service point (JSON)."""
        code = (service_point or "").strip()[:32] or await _default_point()
        if code is None:
            return _problem(404, "No branch desk to cache the offline kit for.", "not_found")
        try:
            return _json(await kit.offline_kit(code, request.app.state.clock()))
        except LendingError as exc:
            return _refused(exc)

    @post(
        "/upload",
        status_code=200,
        guards=[requires_page(Action.OFFLINE_UPLOAD)],
        request_max_body_size=MAX_SESSION_BYTES,
    )
    async def upload(self, request: Request) -> Response[bytes]:
        """Replay the desk's offline queue (one session, the API's upload body)."""
        raw = await request.body()
        try:
            data = msgspec.json.decode(raw, type=OfflineSessionIn)
        except msgspec.ValidationError as exc:
            return _problem(
                422,
                "The offline queue has errors; nothing was replayed.",
                Code.VALIDATION_ERROR.value,
                [{"field": "", "message": str(exc)}],
            )
        except msgspec.DecodeError:
            return _problem(
                422, "The offline queue is not valid JSON; nothing was replayed.",
                Code.MALFORMED_JSON.value,
            )  # fmt: skip
        actor = await page_actor(request)
        try:
            session = await replay.replay_session(
                actor,  # type: ignore[arg-type]
                request.app.state.clock(),
                data,
                request.app.state.settings.timezone,
            )
        except LendingError as exc:
            return _refused(exc)
        body = msgspec.to_builtins(session)
        body["code_words"] = {
            r.code: code_words(r.code) for r in session.results if r.code is not None
        }
        return _json(body)

    @get("/sw.js", guards=[requires_page(Action.OFFLINE_UPLOAD)])
    async def service_worker(self) -> Response[bytes]:
        """The desk's service worker (its scope is /desk: the header allows it)."""
        return Response(
            (STATIC / "offline-sw.js").read_bytes(),
            media_type="text/javascript",
            headers={"service-worker-allowed": "/desk", "cache-control": "no-cache"},
        )

    async def _list(
        self,
        request: Request,
        *,
        error: str | None = None,
        failed: int | None = None,
        reason_error: str | None = None,
        status: int = 200,
    ) -> Template:
        timezone = request.app.state.settings.timezone
        found = await exceptions.list_exceptions(timezone, limit=PAGE_SIZE)
        return render(
            request,
            "desk/offline.html",
            status=status,
            items=found.items,
            total=found.total,
            words={r.code: code_words(r.code) for r in found.items if r.code},
            error=error,
            failed=failed,
            reason_error=reason_error,
        )

    @get("/", guards=[requires_page(Action.OFFLINE_RESOLVE)])
    async def index(self, request: Request) -> Template:
        return await self._list(request)

    @post("/{entry:int}/apply", status_code=200, guards=[requires_page(Action.OFFLINE_RESOLVE)])
    async def apply(self, request: Request, entry: FromPath[int]) -> Template | Redirect:
        """Apply the queued transaction now, under the clerk's own name."""
        await read_form(request)
        actor = await page_actor(request)
        now = request.app.state.clock()
        try:
            done = await exceptions.apply_exception(
                actor,  # type: ignore[arg-type]
                now,
                _entry(entry),
                request.app.state.settings.timezone,
            )
        except LendingError as exc:
            message = f"Not applied: {exc.detail} {code_words(exc.code.value)}".strip()
            return await self._list(request, error=message, failed=entry, status=exc.status)
        what = {"checkout": "Checked out", "checkin": "Checked in", "renew": "Renewed"}
        return see_other(
            request,
            "/desk/offline",
            flash=f"{what.get(done.type, 'Applied')}: {done.device} (applied now, under your name).",
        )

    @post("/{entry:int}/discard", status_code=200, guards=[requires_page(Action.OFFLINE_RESOLVE)])
    async def discard(self, request: Request, entry: FromPath[int]) -> Template | Redirect:
        """Discard it with a reason (kept in the audit trail)."""
        form = await read_form(request)
        reason = (form.get("reason") or "").strip()
        if not reason or len(reason) > MAX_REASON or "\x00" in reason:
            message = (
                "Say why it is discarded."
                if not reason
                else f"Keep the reason to at most {MAX_REASON} characters."
            )
            return await self._list(
                request, error=f"Not discarded: {message}", failed=entry, reason_error=message,
                status=422,
            )  # fmt: skip
        actor = await page_actor(request)
        try:
            done = await exceptions.discard_exception(
                actor,  # type: ignore[arg-type]
                request.app.state.clock(),
                _entry(entry),
                reason,
                request.app.state.settings.timezone,
            )
        except LendingError as exc:
            message = f"Not discarded: {exc.detail} {code_words(exc.code.value)}".strip()
            return await self._list(request, error=message, failed=entry, status=exc.status)
        return see_other(request, "/desk/offline", flash=f"Discarded: {done.device}.")
