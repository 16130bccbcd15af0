"""Reports (admin): JSON, CSV, or an SVG chart (`/api/reports/{name}.svg`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from litestar import Controller, Response, get
from litestar.params import FromQuery, Parameter, QueryParameter

from ..circulation import NotFound
from ..circulation.codes import Code as ErrorCode
from ..circulation.permissions import Action
from ..reports import chart_for, render_svg, report_csv
from ..services.reports import figures as reports
from .common import Now, SettingsDep, errors
from .security import requires

__all__ = ["ReportController"]

Code = Annotated[str | None, Parameter(max_length=64)]


class ReportController(Controller):
    path = "/api/reports"
    tags = ["reports"]
    guards = [requires(Action.REPORT_READ)]

    @get(
        "/{name:str}",
        responses=errors(401, 403, 404, 422),
        description="`utilization`, `loans-per-week`, `overdue-loss`, `waitlist` or `lines` "
        "over `from`..`to` (dates in the library's zone, both included; default the last 90 "
        "days), optionally for one `kind` and `branch`. `format=csv` gives CSV; a name ending "
        "in `.svg` gives the chart, `.csv` the CSV.",
    )
    async def report(
        self,
        name: Annotated[str, Parameter(max_length=40)],
        now: Now,
        settings: SettingsDep,
        first: Annotated[date | None, QueryParameter(name="from")] = None,
        last: Annotated[date | None, QueryParameter(name="to")] = None,
        kind: Code = None,
        branch: Code = None,
        format: FromQuery[Literal["json", "csv"]] = "json",  # noqa: A002 - the query parameter's name
    ) -> Response[Any]:
        base, _, suffix = name.partition(".")
        if base not in reports.REPORTS or suffix not in ("", "svg", "csv"):
            raise NotFound(
                f"No report {name!r}; there are {', '.join(reports.REPORTS)}.",
                ErrorCode.REPORT_NOT_FOUND,
            )
        where = await reports.report_range(now, settings.timezone, first, last, kind, branch)
        body = await reports.report(base, where, now)
        if suffix == "svg":
            return Response(render_svg(chart_for(body)), media_type="image/svg+xml; charset=utf-8")
        if suffix == "csv" or format == "csv":
            filename = f"{base}-{where.first.isoformat()}-{where.last.isoformat()}.csv"
            return Response(
                report_csv(body),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )
        return Response(body)
