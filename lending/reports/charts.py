"""Bar and line charts as self-contained, accessible SVG text (no dependencies, no scripts).

Each chart has role="img" with a <title> and <desc> it is labelled by, axis labels, a legend
when there are several series, and a <title> on every bar or point giving its value, so
screen readers and hover both tell the numbers. Colours come from a palette readable by
people with the common colour-vision deficiencies (Okabe-Ito).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Chart", "Series", "render_svg"]

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
BASE_FONT = 'font-family="system-ui, sans-serif" fill="#1b1b1b"'
FONT = BASE_FONT + ' font-size="12"'


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


@dataclass(frozen=True)
class Chart:
    kind: str  # "bar" or "line"
    title: str
    description: str
    categories: Sequence[str]
    series: Sequence[Series]
    x_label: str = ""
    y_label: str = ""
    percent: bool = False  # values are shares (0..1), shown as percentages
    chart_id: str = "chart"
    width: int = 720
    height: int = 360


def _nice_max(value: float, percent: bool) -> tuple[float, float]:
    """An axis maximum at or above `value` and a tick step (1, 2 or 5 times a power of ten)."""
    if percent:
        top = 1.0 if value <= 1 else math.ceil(value * 10) / 10
        return top, top / 5
    if value <= 0:
        return 1.0, 0.2
    raw = value / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return step * math.ceil(value / step), step


def _label(value: float, percent: bool) -> str:
    if percent:
        return (
            f"{value * 100:.0f}%"
            if abs(value * 100 - round(value * 100)) < 1e-9
            else (f"{value * 100:.1f}%")
        )
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


CHAR_WIDTH = 7.0  # px, a generous average for 12 px system-ui text
LINE_HEIGHT = 16.0  # px between slanted labels, so they never touch
SLANT = 40  # degrees
LONGEST = 18  # characters shown of a slanted label (the full name is in the table)


@dataclass(frozen=True)
class AxisLabels:
    every: int  # label every n-th category
    slanted: bool  # turned by SLANT degrees because they do not fit side by side
    extra_height: int  # px the plot gives up below the axis for slanted labels


def text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH


def _shorten(name: str) -> str:
    return name if len(name) <= LONGEST else name[: LONGEST - 1] + "…"


def _axis_labels(categories: Sequence[str], plot_w: float) -> AxisLabels:
    """How the category labels fit under the plot without overlapping: side by side when the
    widest fits its band, otherwise slanted, skipping labels until they are a line apart."""
    if not categories:
        return AxisLabels(1, False, 0)
    band = plot_w / len(categories)
    widest = max(text_width(c) for c in categories)
    upright = max(1, math.ceil((widest + 8) / band))
    if upright == 1:
        return AxisLabels(1, False, 0)
    every = max(1, math.ceil(LINE_HEIGHT / band))
    longest = min(widest, text_width("x" * LONGEST))
    extra = math.ceil(longest * math.sin(math.radians(SLANT))) - 8
    return AxisLabels(every, True, max(0, extra))


def render_svg(chart: Chart) -> str:
    w, h = chart.width, chart.height
    left, right, top, bottom = 64, 16, 40, 64
    legend = len(chart.series) > 1
    if legend:
        top += 20
    plot_w = w - left - right
    axis = _axis_labels(chart.categories, plot_w)
    bottom += axis.extra_height
    plot_h = h - top - bottom
    cid = escape(chart.chart_id)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" '
        f'height="{h}" role="img" aria-labelledby="{cid}-title {cid}-desc">',
        f'<title id="{cid}-title">{escape(chart.title)}</title>',
        f'<desc id="{cid}-desc">{escape(chart.description)}</desc>',
        f'<rect width="{w}" height="{h}" fill="#ffffff"/>',
        f'<text x="{w / 2:.1f}" y="20" text-anchor="middle" {BASE_FONT} font-size="15" '
        f'font-weight="bold">{escape(chart.title)}</text>',
    ]
    values = [v for s in chart.series for v in s.values if v is not None]
    if not chart.categories or not values:
        out.append(
            f'<text x="{w / 2:.1f}" y="{h / 2:.1f}" text-anchor="middle" {FONT}>'
            "No data in this period</text></svg>"
        )
        return "\n".join(out)
    top_value, step = _nice_max(max(values), chart.percent)

    def y_of(v: float) -> float:
        return top + plot_h - (max(v, 0) / top_value) * plot_h

    # grid, y ticks and axes
    ticks = round(top_value / step)
    for i in range(ticks + 1):
        v = step * i
        y = y_of(v)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            f'stroke="#dfe1e2" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {FONT}>'
            f"{_label(v, chart.percent)}</text>"
        )
    out.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#1b1b1b" stroke-width="1"/>'
    )
    out.append(
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" '
        'stroke="#1b1b1b" stroke-width="1"/>'
    )
    n = len(chart.categories)
    band = plot_w / n
    for i, name in enumerate(chart.categories):
        if i % axis.every:
            continue
        x = left + band * (i + 0.5)
        y = top + plot_h + 16
        if axis.slanted:
            out.append(
                f'<text x="{x:.1f}" y="{y}" text-anchor="end" {FONT} '
                f'transform="rotate(-{SLANT} {x:.1f} {y})">{escape(_shorten(name))}</text>'
            )
        else:
            out.append(
                f'<text x="{x:.1f}" y="{y}" text-anchor="middle" {FONT}>{escape(name)}</text>'
            )
    if chart.kind == "line":
        out += _lines(chart, left, band, y_of)
    else:
        out += _bars(chart, left, band, y_of, top + plot_h)
    out.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{h - 12}" text-anchor="middle" {FONT}>'
        f"{escape(chart.x_label)}</text>"
    )
    out.append(
        f'<text x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" {FONT} '
        f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">{escape(chart.y_label)}</text>'
    )
    if legend:
        x = left
        for i, s in enumerate(chart.series):
            colour = PALETTE[i % len(PALETTE)]
            out.append(f'<rect x="{x}" y="30" width="12" height="12" fill="{colour}"/>')
            out.append(f'<text x="{x + 16}" y="40" {FONT}>{escape(s.name)}</text>')
            x += 24 + 8 * len(s.name)
    out.append("</svg>")
    return "\n".join(out)


def _bars(chart: Chart, left: float, band: float, y_of, base: float) -> list[str]:
    out = []
    k = len(chart.series)
    width = band * 0.8 / k
    for j, s in enumerate(chart.series):
        colour = PALETTE[j % len(PALETTE)]
        for i, v in enumerate(s.values):
            if v is None:
                continue
            x = left + band * i + band * 0.1 + width * j
            y = y_of(v)
            label = f"{chart.categories[i]}, {s.name}: {_label(v, chart.percent)}"
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{base - y:.1f}" '
                f'fill="{colour}"><title>{escape(label)}</title></rect>'
            )
    return out


def _lines(chart: Chart, left: float, band: float, y_of) -> list[str]:
    out = []
    for j, s in enumerate(chart.series):
        colour = PALETTE[j % len(PALETTE)]
        points = [
            (left + band * (i + 0.5), y_of(v), i, v)
            for i, v in enumerate(s.values)
            if v is not None
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y, i, v in points:
            label = f"{chart.categories[i]}, {s.name}: {_label(v, chart.percent)}"
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                f"<title>{escape(label)}</title></circle>"
            )
    return out
