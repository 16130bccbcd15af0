"""A report (as `lending.services.reports.figures.report` returns it) as CSV text or as a chart."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from ..circulation import KINDS
from ..services.data.csv_read import safe_cell
from .charts import Chart, Series

if TYPE_CHECKING:
    from ..services.reports.figures import Report

__all__ = ["chart_for", "report_csv"]


def report_csv(report: Report[Any]) -> str:
    """Header, one line per row, then the total line."""
    out = io.StringIO()
    writer = csv.writer(out)
    columns = report.columns
    writer.writerow(columns)
    for row in [*report.rows, report.total]:
        writer.writerow([safe_cell(getattr(row, c, None)) for c in columns])
    return out.getvalue()


def _period(report: Report[Any]) -> str:
    scope = [x for x in (report.kind, report.branch) if x]
    extra = f" ({', '.join(scope)})" if scope else ""
    return f"{report.first.isoformat()} to {report.last.isoformat()}{extra}"


def _group(row: Any) -> str:
    return f"{row.kind} {row.branch}"


def chart_for(report: Report[Any]) -> Chart:
    name, rows, total = report.report, report.rows, report.total
    period = _period(report)
    cid = f"report-{name}"
    if name == "utilization":
        return Chart(
            "bar",
            f"Utilization, {period}",
            f"Share of device-days on loan by kind and branch; overall "
            f"{total.utilization * 100:.1f}% over {total.devices} devices.",
            [_group(r) for r in rows],
            [Series("utilization", [r.utilization for r in rows])],
            x_label="kind and branch",
            y_label="share of device-days on loan",
            percent=True,
            chart_id=cid,
        )
    if name == "loans-per-week":
        kinds = [k for k in KINDS if getattr(total, k)] or list(KINDS)
        return Chart(
            "line",
            f"Loans per week, {period}",
            f"Checkouts per week (weeks start on Monday); {total.loans} in all.",
            [r.week for r in rows],
            [Series(k, [getattr(r, k) for r in rows]) for k in kinds],
            x_label="week starting",
            y_label="loans",
            chart_id=cid,
        )
    if name == "overdue-loss":
        return Chart(
            "bar",
            f"Overdue and loss rates, {period}",
            f"Of {total.loans} loans checked out in the period, "
            f"{total.overdue_rate * 100:.1f}% went overdue and "
            f"{total.loss_rate * 100:.1f}% were lost.",
            [_group(r) for r in rows],
            [
                Series("overdue", [r.overdue_rate for r in rows]),
                Series("lost", [r.loss_rate for r in rows]),
            ],
            x_label="kind and branch",
            y_label="share of loans",
            percent=True,
            chart_id=cid,
        )
    if name == "waitlist":
        median = total.median_wait_days
        said = f"{median:.1f} days" if median is not None else "no holds served"
        return Chart(
            "bar",
            f"Waitlist, {period}",
            f"Holds waiting at the end of the period and median wait by kind and branch; "
            f"overall median wait {said}, {total.waiting_at_end} waiting at the end.",
            [_group(r) for r in rows],
            [
                Series("waiting at end", [r.waiting_at_end for r in rows]),
                Series("median wait (days)", [r.median_wait_days for r in rows]),
            ],
            x_label="kind and branch",
            y_label="holds / days",
            chart_id=cid,
        )
    return Chart(
        "bar",
        f"Service lines and monthly cost, {period}",
        f"{total.lines} lines, {total.suspended} suspended; monthly plan cost "
        f"{total.monthly_cost:,.2f} in all.",
        [f"{r.carrier} {r.plan}".strip() for r in rows],
        [Series("monthly cost", [r.monthly_cost for r in rows])],
        x_label="carrier and plan",
        y_label="monthly cost",
        chart_id=cid,
    )
