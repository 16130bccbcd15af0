"""Report output with no database: charts as SVG (charts.py) and report rows as CSV or a chart
(render.py)."""

from .charts import Chart, Series, render_svg
from .render import chart_for, report_csv

__all__ = ["Chart", "Series", "chart_for", "render_svg", "report_csv"]
