"""One label alone, as SVG (vector, sized in millimetres) or PNG (at the printer's resolution)."""

from __future__ import annotations

import io
from functools import lru_cache
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from .layout import PT_MM, LabelContent, LabelLayout, layout_label
from .symbology import encode
from .templates import LabelTemplate

if TYPE_CHECKING:  # Pillow is imported when a PNG is drawn (it weighs ~10 MB per process)
    from PIL import ImageFont

__all__ = ["PNG_DPI", "label_png", "label_svg"]

PNG_DPI = 300  # sheet templates; thermal templates use their printer's dpi
_FONT = "Helvetica, Arial, sans-serif"
_QUOTE = {'"': "&quot;"}


def _n(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def label_svg(template: LabelTemplate, content: LabelContent, symbology: str) -> bytes:
    layout = layout_label(template, content, encode(content.code, symbology))
    w, h = _n(layout.width), _n(layout.height)
    bars = " ".join(
        f"M{_n(x)} {_n(layout.bar_top)}h{_n(bw)}v{_n(layout.bar_height)}h-{_n(bw)}z"
        for x, bw in layout.bars
    )
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w}mm" height="{h}mm" '
        f'viewBox="0 0 {w} {h}" role="img" aria-label="{escape(content.code, _QUOTE)}">',
        f'<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>',
        f'<path fill="#000000" shape-rendering="crispEdges" d="{bars}"/>',
    ]
    for line in layout.lines:
        weight = ' font-weight="bold"' if line.bold else ""
        parts.append(
            f'<text x="{_n(layout.width / 2)}" y="{_n(line.baseline)}" text-anchor="middle" '
            f'font-family="{_FONT}" font-size="{_n(line.size * PT_MM)}"{weight} '
            f'fill="#000000">{escape(line.text)}</text>'
        )
    parts.append("</svg>")
    return ("\n".join(parts) + "\n").encode()


@lru_cache(maxsize=64)
def _font(pixels: int, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Liberation Sans (Helvetica's metrics, so the layout's widths hold) when the system has
    it (Debian: fonts-liberation), else Pillow's built-in font."""
    from PIL import ImageFont

    for name in (
        ("LiberationSans-Bold.ttf", "DejaVuSans-Bold.ttf")
        if bold
        else (
            "LiberationSans-Regular.ttf",
            "DejaVuSans.ttf",
        )
    ):
        try:
            return ImageFont.truetype(name, pixels)
        except OSError:
            continue
    return ImageFont.load_default(size=pixels)


def label_png(template: LabelTemplate, content: LabelContent, symbology: str) -> bytes:
    from PIL import Image, ImageDraw

    dpi = template.dpi or PNG_DPI
    px = 25.4 / dpi  # mm per pixel; bars are whole pixels wide
    encoded = encode(content.code, symbology)
    # Narrow bars are whole pixels (Codabar's 2.5x wide bars round to the nearest pixel).
    layout: LabelLayout = layout_label(template, content, encoded, step=px / encoded.narrow)
    image = Image.new("L", (round(layout.width / px), round(layout.height / px)), 255)
    draw = ImageDraw.Draw(image)
    top = round(layout.bar_top / px)
    bottom = round((layout.bar_top + layout.bar_height) / px) - 1
    for x, bw in layout.bars:
        left = round(x / px)
        draw.rectangle((left, top, round((x + bw) / px) - 1, bottom), fill=0)
    for line in layout.lines:
        size = max(6, round(line.size * PT_MM / px))
        draw.text(
            (image.width / 2, line.baseline / px),
            line.text,
            fill=0,
            font=_font(size, line.bold),
            anchor="ms",
        )
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(dpi, dpi), optimize=False)
    return out.getvalue()
