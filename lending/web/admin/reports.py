"""Admin console: reports. One page shows every report (utilization, loans per week, overdue and
loss, waitlist, lines) for a date range, kind and branch, each as a table and its chart (the
server-rendered SVG of lending.reports, inline), with a CSV download per report through a page
route (`/admin/reports/{name}.csv`), the same CSV as `GET /api/reports/{name}.csv`.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.params import FromPath
from litestar.response import Template

from ...circulation import KINDS, LendingError, NotFound
from ...circulation.codes import Code
from ...circulation.permissions import Action
from ...reports import chart_for, render_svg, report_csv
from ...services.reports import figures as reports
from ..pages import MAX_FIELD_CHARS, render, requires_page
from ..struct_form import errors_of
from .devices import branch_options

__all__ = ["AdminReportController"]

FIELDS = ("from", "to", "kind", "branch")
TITLES = {
    "utilization": "Utilization",
    "loans-per-week": "Loans per week",
    "overdue-loss": "Overdue and loss",
    "waitlist": "Waitlist",
    "lines": "Service lines",
}
PERCENT = ("utilization", "overdue_rate", "loss_rate")


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "–"
    if column in PERCENT and isinstance(value, int | float):
        return f"{value * 100:.1f}%"
    if column == "monthly_cost" and isinstance(value, int | float):
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{int(value):,}"
    return str(value)


def _typed(query: Any) -> dict[str, str]:
    def text(name: str) -> str:
        value = query.get(name) or ""
        return value.strip()[:MAX_FIELD_CHARS] if isinstance(value, str) else ""

    return {name: text(name) for name in FIELDS}


async def _range(request: Request, typed: dict[str, str]) -> tuple[Any, dict[str, str]]:
    """The service's ReportRange for the typed filters, or None and the field errors."""
    errors: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for name in ("from", "to"):
        dates[name] = None
        if typed[name]:
            try:
                dates[name] = date.fromisoformat(typed[name])
            except ValueError:
                errors[name] = "Enter a date as YYYY-MM-DD."
    if typed["kind"] and typed["kind"] not in KINDS:
        errors["kind"] = "Choose one of the listed kinds."
    if len(typed["branch"]) > 64:
        errors["branch"] = "Choose one of the listed branches."
    if errors:
        return None, errors
    settings = request.app.state.settings
    try:
        where = await reports.report_range(
            request.app.state.clock(),
            settings.timezone,
            dates["from"],
            dates["to"],
            typed["kind"] or None,
            typed["branch"] or None,
        )
    except LendingError as exc:
        if exc.status >= 500:
            raise
        return None, errors_of(exc, FIELDS)
    return where, {}


class AdminReportController(Controller):
    path = "/admin/reports"
    guards = [requires_page(Action.REPORT_READ)]
    include_in_schema = False

    @get("/")
    async def show(self, request: Request) -> Template:
        typed = _typed(request.query_params)
        where, errors = await _range(request, typed)
        shown = []
        if where is not None:
            now = request.app.state.clock()
            query = urlencode(
                {
                    "from": where.first.isoformat(),
                    "to": where.last.isoformat(),
                    **{k: typed[k] for k in ("kind", "branch") if typed[k]},
                }
            )
            typed = {**typed, "from": where.first.isoformat(), "to": where.last.isoformat()}
            for name in reports.REPORTS:
                body = await reports.report(name, where, now)
                columns = body.columns
                shown.append(
                    {
                        "name": name,
                        "title": TITLES[name],
                        "columns": [c.replace("_", " ") for c in columns],
                        "rows": [[_cell(c, getattr(row, c)) for c in columns] for row in body.rows],
                        "total": [_cell(c, getattr(body.total, c)) for c in columns],
                        "svg": render_svg(chart_for(body)),
                        "csv_url": f"/admin/reports/{name}.csv?{query}",
                    }
                )
        return render(
            request,
            "admin/reports.html",
            status=422 if errors else 200,
            filters=typed,
            errors=errors,
            reports=shown,
            kind_options=[(k, k) for k in KINDS],
            branches=await branch_options(),
        )

    @get("/{name:str}")
    async def download(self, request: Request, name: FromPath[str]) -> Response[Any]:
        base = name.removesuffix(".csv")
        if not name.endswith(".csv") or base not in reports.REPORTS:
            raise NotFound(
                f"No report {name[:64]!r}; there are "
                f"{', '.join(n + '.csv' for n in reports.REPORTS)}.",
                Code.REPORT_NOT_FOUND,
            )
        typed = _typed(request.query_params)
        where, errors = await _range(request, typed)
        if where is None:
            return render(
                request,
                "admin/reports.html",
                status=422,
                filters=typed,
                errors=errors,
                reports=[],
                kind_options=[(k, k) for k in KINDS],
                branches=await branch_options(),
            )
        body = await reports.report(base, where, request.app.state.clock())
        filename = f"{base}-{where.first.isoformat()}-{where.last.isoformat()}.csv"
        return Response(
            report_csv(body),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "cache-control": "no-store",
            },
        )
