"""Server-side SVG charts: accessible, escaped, and honest about empty data (no database)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from lending.reports import Chart, Series, chart_for, render_svg, report_csv

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
    report = {
        "report": "lines",
        "from": "2026-12-01",
        "to": "2026-12-10",
        "columns": ["carrier", "plan", "lines", "monthly_cost"],
        "rows": [{"carrier": "=evil()", "plan": "P", "lines": 2, "monthly_cost": 40.0}],
        "total": {"carrier": "all", "plan": "all", "lines": 2, "monthly_cost": 40.0},
    }
    lines = report_csv(report).splitlines()
    assert lines == ["carrier,plan,lines,monthly_cost", "'=evil(),P,2,40.0", "all,all,2,40.0"]
    report.update(suspended=0)
    report["total"].update(suspended=0)
    assert ET.fromstring(render_svg(chart_for(report))).get("role") == "img"
