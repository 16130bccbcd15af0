"""Server-side SVG charts: accessible, escaped, and honest about empty data (no database)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from lending.reports import Chart, Series, chart_for, render_svg, report_csv
from lending.services.reports.figures import LinesRow, Report

SVG = "{http://www.w3.org/2000/svg}"


def test_a_bar_chart_is_an_image_labelled_by_its_title_and_description_with_each_value_told():
    svg = render_svg(
        Chart(
            "bar",
            "Utilization <all>",
            "Share of device-days & more",
            ["hotspot MAIN", "laptop MAIN"],
            [Series("utilization", [0.25, 0.5])],
            x_label="kind and branch",
            y_label="share",
            percent=True,
            chart_id="u",
        )
    )
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "u-title u-desc"
    assert root.find(f"{SVG}title").text == "Utilization <all>"
    assert root.find(f"{SVG}desc").text == "Share of device-days & more"
    bars = root.findall(f"{SVG}rect[{SVG}title]")
    assert [b.find(f"{SVG}title").text for b in bars] == [
        "hotspot MAIN, utilization: 25%",
        "laptop MAIN, utilization: 50%",
    ]
    assert float(bars[1].get("height")) == 2 * float(bars[0].get("height"))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "kind and branch" in texts and "share" in texts and "100%" in texts


def test_a_line_chart_with_several_series_has_a_legend_and_a_point_per_value():
    svg = render_svg(
        Chart(
            "line",
            "Loans",
            "per week",
            ["w1", "w2", "w3"],
            [Series("hotspot", [1, 4, 2]), Series("laptop", [0, 3, 7])],
        )
    )
    root = ET.fromstring(svg)
    assert len(root.findall(f"{SVG}polyline")) == 2
    assert len(root.findall(f"{SVG}circle")) == 6
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "hotspot" in texts and "laptop" in texts


def test_a_chart_without_data_says_so():
    root = ET.fromstring(render_svg(Chart("bar", "Empty", "nothing", [], [])))
    assert "No data in this period" in [t.text for t in root.iter(f"{SVG}text")]


def test_report_csv_neutralizes_formula_cells_and_ends_with_the_total():
    counts = {"active": 2, "suspended": 0, "cancelled": 0, "suspends_in_range": 0}
    report = Report(
        report="lines",
        first=date(2026, 12, 1),
        last=date(2026, 12, 10),
        timezone="America/Chicago",
        kind=None,
        branch=None,
        columns=["carrier", "plan", "lines", "monthly_cost"],
        rows=[LinesRow(carrier="=evil()", plan="P", lines=2, monthly_cost=40.0, **counts)],
        total=LinesRow(carrier="all", plan="all", lines=2, monthly_cost=40.0, **counts),
    )
    lines = report_csv(report).splitlines()
    assert lines == ["carrier,plan,lines,monthly_cost", "'=evil(),P,2,40.0", "all,all,2,40.0"]
    assert ET.fromstring(render_svg(chart_for(report))).get("role") == "img"


def _axis_labels(svg: str, categories: list[str]) -> list[ET.Element]:
    """The category labels under the plot (texts whose content is a category, or its start)."""
    root = ET.fromstring(svg)
    return [
        t
        for t in root.iter(f"{SVG}text")
        if t.text and any(c == t.text or c.startswith(t.text.rstrip("…")) for c in categories)
    ]


def _no_overlap(labels: list[ET.Element], height: float) -> None:
    import math

    from lending.reports.charts import LINE_HEIGHT, SLANT, text_width

    xs = [float(t.get("x")) for t in labels]
    for (a, b), text_a, text_b in zip(
        zip(xs, xs[1:], strict=False), labels, labels[1:], strict=False
    ):
        if "rotate" in (text_a.get("transform") or ""):
            assert b - a >= LINE_HEIGHT - 0.01, (a, b)
        else:
            assert b - a >= (text_width(text_a.text) + text_width(text_b.text)) / 2, (a, b)
    for t in labels:
        if "rotate" in (t.get("transform") or ""):
            drop = text_width(t.text) * math.sin(math.radians(SLANT))
            assert float(t.get("y")) + drop <= height - 20  # above the axis title


def test_weekly_date_labels_never_overlap_however_many_weeks():
    for weeks in (4, 13, 26, 53):
        categories = [f"2026-{1 + i // 5:02d}-{1 + (i % 5) * 6:02d}" for i in range(weeks)]
        chart = Chart(
            "line", "Loans per week", "d", categories, [Series("loans", [1.0] * weeks)],
            x_label="week", chart_id="w",
        )  # fmt: skip
        labels = _axis_labels(render_svg(chart), categories)
        assert len(labels) >= min(weeks, 8), weeks  # enough of the axis stays labelled
        _no_overlap(labels, chart.height)


def test_long_kind_and_branch_labels_are_slanted_and_shortened_instead_of_overlapping():
    categories = [f"hotspot BOOKMOBILE-{i} (north route)" for i in range(12)]
    chart = Chart(
        "bar", "Utilization", "d", categories, [Series("u", [0.5] * 12)], percent=True,
        chart_id="k",
    )  # fmt: skip
    labels = _axis_labels(render_svg(chart), categories)
    assert labels and all("rotate" in t.get("transform") for t in labels)
    assert all(len(t.text) <= 18 for t in labels)
    _no_overlap(labels, chart.height)


def test_short_labels_that_fit_stay_upright():
    chart = Chart("bar", "U", "d", ["hotspot", "laptop"], [Series("u", [1.0, 2.0])], chart_id="s")
    labels = _axis_labels(render_svg(chart), ["hotspot", "laptop"])
    assert [t.text for t in labels] == ["hotspot", "laptop"]
    assert not any(t.get("transform") for t in labels)
