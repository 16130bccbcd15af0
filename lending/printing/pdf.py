"""Label sheets (Avery) and rolls (one page per label, DYMO) as PDF, with vector bars.

Bars are filled rectangles in the page's own drawing operators, so a printer or a rasteriser
draws them at its full resolution: a bitmap placed in a PDF gets resampled and loses bars.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..circulation.codes import Code
from .layout import LabelContent, LabelLayout, layout_label
from .problems import refuse
from .symbology import encode
from .templates import LabelTemplate

if TYPE_CHECKING:  # fpdf is imported when a PDF is made (it weighs ~15 MB per process)
    from fpdf import FPDF

__all__ = ["check_start", "labels_pdf", "pages_needed"]

Progress = Callable[[int, int], None]
_K = 72 / 25.4  # PDF points per mm


def check_start(template: LabelTemplate, start_at: int) -> None:
    """The first label's position (1-based, row by row) must be on the sheet."""
    last = template.per_page
    if not 1 <= start_at <= last:
        where = f"positions 1 to {last}" if last > 1 else "only position 1 (a roll)"
        raise refuse(
            "start_at",
            f"{template.name} has {where}; {start_at} is off the sheet",
            Code.START_POSITION_OFF_SHEET,
        )


def pages_needed(template: LabelTemplate, count: int, start_at: int = 1) -> int:
    return (start_at - 1 + count + template.per_page - 1) // template.per_page


def _bars_operators(layout: LabelLayout, x0: float, y0: float, page_h: float) -> str:
    """One path of rectangles, filled once ('re' ... 'f'), in PDF points from the bottom."""
    top = (page_h - (y0 + layout.bar_top)) * _K
    height = layout.bar_height * _K
    bottom = top - height
    parts = [
        f"{(x0 + x) * _K:.3f} {bottom:.3f} {w * _K:.3f} {height:.3f} re" for x, w in layout.bars
    ]
    return "0 g " + " ".join(parts) + " f"


def _draw(pdf: FPDF, layout: LabelLayout, x0: float, y0: float, state: dict) -> None:
    pdf._out(_bars_operators(layout, x0, y0, pdf.h))  # noqa: SLF001 - one path per barcode
    for line in layout.lines:
        style = "B" if line.bold else ""
        if state.get("font") != (style, line.size):
            pdf.set_font("helvetica", style, line.size)
            state["font"] = (style, line.size)
        pdf.text(x0 + line.left, y0 + line.baseline, line.text)


def labels_pdf(
    template: LabelTemplate,
    labels: Sequence[LabelContent],
    symbology: str,
    *,
    start_at: int = 1,
    title: str = "Labels",
    progress: Progress | None = None,
) -> bytes:
    """A PDF of `labels` on `template`: sheets from position `start_at`, or a page per label."""
    if template.output != "pdf":
        raise refuse(
            "format",
            f"{template.name} is a {template.output.upper()} template, not a PDF one",
            Code.FORMAT_NOT_SUPPORTED,
        )
    check_start(template, start_at)
    from fpdf import FPDF

    layouts = [layout_label(template, item, encode(item.code, symbology)) for item in labels]
    pdf = FPDF(unit="mm", format=(template.page_width, template.page_height))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_creator("lending")
    pdf.set_title(title)
    state: dict = {}
    total = len(layouts)
    position = start_at - 1
    for done, layout in enumerate(layouts, start=1):
        if done == 1 or position % template.per_page == 0:
            pdf.add_page()
            state.clear()
        x0, y0 = template.cell_origin(position)
        _draw(pdf, layout, x0, y0, state)
        position += 1
        if progress is not None and (done % 30 == 0 or done == total):
            progress(done, total)
    return bytes(pdf.output())
