"""Return to service (lending.services.inventory.processing): the queue of devices in processing with
their steps, which staff tick off (who and when recorded; the last one sends the device to the
next waiting hold or back to available), and each kind's steps (admins).

The same queue is at /admin/processing (admins, with the steps editor) and /desk/processing
(any staff)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from ...circulation import KINDS, Conflict, Invalid, NotFound
from ...circulation.codes import Code
from ...circulation.inventory import MAX_STEPS
from ...circulation.permissions import Action
from ...services.inventory import processing
from ..desk.scan import MAX_CODE, clean_code
from ..pages import MAX_FIELD_CHARS, checked_form, may, render, requires_page, see_other
from ..sessions import page_actor
from .fields import PAGE_SIZE, FormCheck, local_time, page_window

__all__ = ["AdminProcessingController", "DeskProcessingController"]

MAX_STEP_NAME = 200  # as the API (StepsIn)
MAX_STEPS_TEXT = MAX_STEPS * (MAX_STEP_NAME + 2)


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 7 else 1


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound(f"There is no device kind {kind[:40]!r}.", Code.KIND_NOT_FOUND)
    return kind


async def _multi_form(request: Request) -> tuple[dict[str, str], list[str]]:
    """The form's single values (first wins) and every value of the `step` checkboxes."""
    form = await checked_form(request)
    values: dict[str, str] = {}
    steps: list[str] = []
    for name, value in form.multi_items():
        if not isinstance(value, str):
            continue
        if name == "step":
            steps.append(value[:MAX_FIELD_CHARS])
        elif name not in values:
            values[name] = value[:MAX_FIELD_CHARS]
    return values, steps


class _ProcessingPages(Controller):
    """The queue and step completion; the subclasses set the path, guard and layout."""

    include_in_schema = False
    layout = "admin/layout.html"
    editor = False

    async def _page(
        self,
        request: Request,
        page: str | None = None,
        *,
        failed: dict[str, Any] | None = None,
        status: int = 200,
    ) -> Template:
        number = _page_number(page)
        queue = await processing.list_processing(
            branch=None, kind=None, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
        )
        timezone = request.app.state.settings.timezone
        steps = []
        if self.editor and may(request, Action.POLICY_EDIT):
            for kind in KINDS:
                if failed and failed.get("kind") == kind:
                    steps.append({"kind": kind, "text": failed["text"], "error": failed["error"]})
                else:
                    names = (await processing.get_steps(kind)).steps
                    steps.append({"kind": kind, "text": "\n".join(names), "error": None})
        return render(
            request,
            "admin/processing.html",
            status=status,
            layout=self.layout,
            base=self.path,
            editor=self.editor and may(request, Action.POLICY_EDIT),
            queue=queue.items,
            window=page_window(request, queue.total, number),
            local_time=local_time,  # the queue's times, as people read them
            timezone=timezone,
            kinds_steps=steps,
            failed=failed or {},
        )

    @get("/", guards=[requires_page(Action.PROCESSING_WORK)])
    async def index(self, request: Request, page: FromQuery[str | None] = None) -> Template:
        return await self._page(request, page)

    @post("/{barcode:str}/steps", status_code=200, guards=[requires_page(Action.PROCESSING_WORK)])
    async def complete(self, request: Request, barcode: FromPath[str]) -> Template | Redirect:
        """Tick off the chosen steps of one device."""
        code, bad = clean_code(barcode[: MAX_CODE * 4])
        if bad is not None:
            raise NotFound(f"No device with barcode {barcode[:40]!r}.", Code.DEVICE_NOT_FOUND)
        _, names = await _multi_form(request)
        failed = {"device": code, "error": None}
        if not names:
            failed["error"] = "Tick at least one step that is done."
        elif len(names) > 50 or any(len(n) > MAX_STEP_NAME for n in names):
            failed["error"] = "Those are not steps of this device's processing."
        else:
            try:
                reply = await processing.complete_steps(
                    await page_actor(request), request.app.state.clock(), code, names
                )
            except Invalid as exc:
                failed["error"] = "; ".join(e.message for e in exc.errors)
            except Conflict as exc:
                failed["error"] = exc.detail
            else:
                left = reply.processing.steps_left
                if left:
                    message = f"{code}: {len(left)} step(s) left."
                elif reply.hold:
                    message = f"{code} is ready: put it on the hold shelf for the waiting patron."
                else:
                    message = f"{code} is ready: put it back on the shelf (now {reply.status})."
                return see_other(request, self.path, flash=message)
        return await self._page(request, failed=failed, status=422)


class AdminProcessingController(_ProcessingPages):
    path = "/admin/processing"
    editor = True

    @post("/steps/{kind:str}", status_code=200, guards=[requires_page(Action.POLICY_EDIT)])
    async def save_steps(self, request: Request, kind: FromPath[str]) -> Template | Redirect:
        """A kind's steps, one per line (an empty box: no steps)."""
        kind = _kind(kind)
        form, _ = await _multi_form(request)
        check = FormCheck(form)
        text = form.get("steps", "")
        names = [" ".join(line.split()) for line in text.splitlines()]
        names = [n for n in names if n]
        if "\x00" in text:
            check.add("steps", "Remove the invisible control characters.")
        elif any(len(n) > MAX_STEP_NAME for n in names):
            check.add("steps", f"Each step may have at most {MAX_STEP_NAME} characters.")
        elif len(text) > MAX_STEPS_TEXT or len(names) > MAX_STEPS:
            check.add("steps", f"Use at most {MAX_STEPS} steps.")
        if check.ok:
            try:
                await processing.put_steps(
                    await page_actor(request), request.app.state.clock(), kind, names
                )
            except Invalid as exc:
                check.add("steps", "; ".join(e.message for e in exc.errors))
            else:
                return see_other(
                    request,
                    f"{self.path}#steps-{kind}",
                    flash=f"The {kind} return-to-service steps are saved ({len(names)}).",
                )
        failed = {"kind": kind, "text": text[:MAX_STEPS_TEXT], "error": check.errors["steps"]}
        return await self._page(request, failed=failed, status=422)


class DeskProcessingController(_ProcessingPages):
    path = "/desk/processing"
    layout = "desk/layout.html"
