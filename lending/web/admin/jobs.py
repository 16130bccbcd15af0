"""Admin console: the record of job runs, and a "Run now" button per job. A run from here takes
the same path as `POST /api/jobs/{name}/run` (lending.jobs.run_job), recorded with trigger "web".
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ...circulation import LendingError, NotFound
from ...circulation.codes import Code
from ...circulation.permissions import Action
from ...jobs import JOBS, run_job
from ...jobs.about import about
from ...services.library.job_runs import list_runs
from ...services.notices.queue_view import notice_health
from ..pages import read_form, render, requires_page, see_other

__all__ = ["AdminJobController"]

log = logging.getLogger("lending.web")
PAGE_SIZE = 50
HISTORY = 10  # runs of each job shown folded under its last one


def _summary(summary: dict) -> str:
    return ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in summary.items()) or "nothing to do"


class AdminJobController(Controller):
    path = "/admin/jobs"
    guards = [requires_page(Action.JOB_RUN)]
    include_in_schema = False

    @get("/")
    async def list_(self, request: Request) -> Template:
        query = request.query_params
        job = query.get("job") or ""
        job = job if job in JOBS else ""
        failed = query.get("failed") == "yes"
        timezone = request.app.state.settings.timezone
        # One row per job with its last run and its recent history folded under it; every
        # run, paged and filtered, once a job or "failures only" is asked for.
        overview = []
        for name in sorted(JOBS):
            recent = (await list_runs(timezone, job=name, limit=HISTORY)).items
            failures = (await list_runs(timezone, job=name, failed=True, limit=1)).total
            overview.append(
                {
                    "name": name,
                    "about": about(name),
                    "last": recent[0] if recent else None,
                    "history": recent[1:],
                    "failures": failures,
                }  # fmt: skip
            )
        raw_page = query.get("page") or "1"
        page = int(raw_page) if raw_page.isdigit() and len(raw_page) < 7 and raw_page != "0" else 1
        result = await list_runs(
            request.app.state.settings.timezone,
            job=job or None,
            failed=True if failed else None,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        pages = max(1, -(-result.total // PAGE_SIZE))
        kept = {k: v for k, v in {"job": job, "failed": "yes" if failed else ""}.items() if v}
        return render(
            request,
            "admin/jobs.html",
            notice_health=await notice_health(request.app.state.settings),
            overview=overview,
            every_run=bool(job or failed or query.get("all") == "yes"),
            jobs=sorted(JOBS),
            job_options=[(j, j.replace("_", " ")) for j in sorted(JOBS)],
            runs=result.items,
            total=result.total,
            summary_text=_summary,
            filters={"job": job, "failed": failed},
            filtered=bool(kept),
            page=page,
            pages=pages,
            prev_url="?" + urlencode({**kept, "page": page - 1}) if page > 1 else None,
            next_url="?" + urlencode({**kept, "page": page + 1}) if page < pages else None,
        )

    @get("/{name:str}/run")
    async def confirm(self, request: Request, name: FromPath[str]) -> Template:
        """Before a job that changes data runs by hand: what it does, and a button to go on."""
        if name not in JOBS:
            raise NotFound(f"No job named {name[:64]!r}.", Code.JOB_NOT_FOUND)
        return render(request, "admin/job_confirm.html", job=name, about=about(name))

    @post("/{name:str}/run", status_code=200)
    async def run(self, request: Request, name: FromPath[str]) -> Redirect:
        if name not in JOBS:
            raise NotFound(f"No job named {name[:64]!r}.", Code.JOB_NOT_FOUND)
        form = await read_form(request)
        if about(name).changes_data and form.get("confirm") != "yes":
            return Redirect(path=f"/admin/jobs/{name}/run", status_code=303)
        state = request.app.state
        try:
            reply = await run_job(name, state.clock(), state.settings, trigger="web")
        except LendingError as exc:
            return see_other(request, "/admin/jobs", flash=f"Job {name} failed: {exc.detail}")
        except Exception as exc:  # the run is recorded with its error; say so, never a 500
            log.exception("job %s run from the admin console failed", name)
            return see_other(
                request, "/admin/jobs", flash=f"Job {name} failed: {type(exc).__name__}: {exc}"
            )
        outcome = f"Job {name} ran (run {reply.run}): {_summary(reply.summary)}."
        if reply.error:
            outcome = f"Job {name} ran (run {reply.run}) but is recorded failing: {reply.error}"
        return see_other(request, "/admin/jobs?" + urlencode({"job": name}), flash=outcome)
