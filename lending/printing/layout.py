"""Where everything goes on one label, in millimetres from its top-left corner.

Rules: the narrowest bar is never under 0.25 mm (10 mil) and the bars keep a quiet zone of ten
narrow elements each side; when the text does not fit, it shrinks (down to the template's
`min_font_size`) before the bars get any shorter than `min_bar_height`; a code whose bars would
have to be narrower than 0.25 mm is refused (`code_too_long_for_label`), never printed
unreadable. Every output (PDF, SVG, PNG, ZPL) draws from this one layout.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from ..circulation import Invalid
from ..circulation.codes import Code
from .problems import refuse
from .symbology import QUIET_ZONE, Encoded, encode, symbology_name
from .templates import LabelTemplate

__all__ = [
    "check_label",
    "label_problem",
    "MIN_MODULE_MM",
    "PT_MM",
    "LabelContent",
    "LabelLayout",
    "TextLine",
    "layout_label",
    "printable",
    "text_width",
]

MIN_MODULE_MM = 0.25  # 10 mil: the narrowest bar at print size
PT_MM = 25.4 / 72
LEADING = 1.18  # line height, in font sizes
BASELINE = 0.92  # from the top of a line to its baseline, in font sizes
BAR_TEXT_GAP_MM = 0.4
_EPS = 1e-9
_REPLACE = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'",
                          "\u201c": '"', "\u201d": '"', "\u2026": "...", "\u00a0": " "})  # fmt: skip


@dataclass(frozen=True)
class LabelContent:
    code: str
    kind: str
    model: str
    library: str
    wifi_name: str | None = None
    wifi_password: str | None = None
    support_phone: str = ""


@dataclass(frozen=True)
class TextLine:
    text: str
    left: float  # mm from the label's left edge (the line is centred on the label)
    baseline: float  # mm from the label's top edge
    size: float  # points
    bold: bool
    width: float  # mm


@dataclass(frozen=True)
class LabelLayout:
    width: float
    height: float
    encoded: Encoded
    unit: float  # mm per pattern unit
    module: float  # mm: the narrowest bar or space
    bar_left: float
    bar_top: float
    bar_height: float
    bars: tuple[tuple[float, float], ...]  # (x, width) of each bar, mm from the label's left
    lines: tuple[TextLine, ...]

    @property
    def bar_width(self) -> float:
        return self.encoded.length * self.unit


@lru_cache(maxsize=2048)
def printable(text: str) -> str:
    """Text the standard PDF fonts (Latin-1) can print: accents kept, other marks simplified."""
    text = " ".join(text.translate(_REPLACE).split())
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ord(ch) < 256:
            out.append(ch)
            continue
        plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if ord(c) < 128)
        out.append(plain or "?")
    return "".join(out)


@lru_cache(maxsize=2)
def _widths(bold: bool) -> dict[str, int]:
    """Helvetica's widths, from fpdf (imported when a label is laid out: it weighs ~15 MB)."""
    from fpdf.fonts import CORE_FONTS_CHARWIDTHS

    return CORE_FONTS_CHARWIDTHS["helveticaB" if bold else "helvetica"]


def text_width(text: str, size: float, bold: bool = False) -> float:
    widths = _widths(bold)
    return sum(widths.get(ch, 556) for ch in text) * size / 1000 * PT_MM


def _lines(template: LabelTemplate, content: LabelContent) -> tuple[list, list]:
    """(text, bold, may_truncate) lines above and below the bars, in the template's order."""
    text = template.text
    above: list[tuple[str, bool, bool]] = []
    below: list[tuple[str, bool, bool]] = []
    target = above
    hotspot = content.kind == "hotspot"
    for name in template.fields:
        if name == "barcode":
            target = below
        elif name == "library" and content.library:
            target.append((content.library, True, True))
        elif name == "property_of":
            target.append((text["property_of"].format(library=content.library), False, True))
        elif name == "code":
            target.append((content.code, True, False))
        elif name == "kind_model":
            kind = content.kind.capitalize()
            target.append((f"{kind} - {content.model}" if content.model else kind, False, True))
        elif name == "wifi" and hotspot and content.wifi_name:
            target.append((text["wifi"].format(name=content.wifi_name), False, False))
            if content.wifi_password:
                password = text["password"].format(password=content.wifi_password)
                target.append((password, False, False))
        elif name == "support_phone" and hotspot and content.support_phone:
            target.append((text["support_phone"].format(phone=content.support_phone), False, True))
    clean = [(printable(t), b, m) for t, b, m in above], [(printable(t), b, m) for t, b, m in below]
    return clean


def _module(
    template: LabelTemplate, encoded: Encoded, inner_width: float, step: float | None
) -> float:
    """mm per pattern unit: as wide as fits (up to `max_module`), never narrower than 10 mil.

    The bars stay inside the padding; their quiet zones may run into it (it is blank too)."""
    quiet = 2 * QUIET_ZONE * encoded.narrow
    unit = min(
        inner_width / encoded.length,
        template.label_width / (encoded.length + quiet),
        template.max_module / encoded.narrow,
    )
    smallest = MIN_MODULE_MM / encoded.narrow
    if step:
        unit = math.floor(unit / step + _EPS) * step
        smallest = math.ceil(smallest / step - _EPS) * step
    if unit * encoded.narrow < MIN_MODULE_MM - _EPS:
        needed = max(
            (encoded.length + quiet) * smallest,
            encoded.length * smallest + 2 * template.padding,
        )
        name = symbology_name(encoded.symbology)
        raise refuse(
            "barcode",
            f"{encoded.code} in {name} needs {needed:.1f} mm with bars of at least 0.25 mm and "
            f"their quiet zones; the {template.name} label is {template.label_width:.1f} mm wide. "
            "Use a shorter code, another symbology (Code 128 is the most compact) or a wider "
            "label",
            Code.CODE_TOO_LONG_FOR_LABEL,
        )
    return unit


def _fit(text: str, size: float, bold: bool, width: float, minimum: float, truncate: bool):
    """(text, size) that fits `width`: shrink to `minimum`, then shorten with '...' if allowed."""
    while size > minimum + _EPS and text_width(text, size, bold) > width:
        size = max(minimum, size - 0.25)
    if text_width(text, size, bold) <= width:
        return text, size
    if not truncate:
        return None
    while text and text_width(text + "...", size, bold) > width:
        text = text[:-1]
    return text.rstrip() + "...", size


def layout_label(
    template: LabelTemplate,
    content: LabelContent,
    encoded: Encoded,
    *,
    step: float | None = None,
) -> LabelLayout:
    """Lay out one label. `step` (mm) snaps the pattern unit to whole printer dots or pixels."""
    pad = template.padding
    inner_w = template.label_width - 2 * pad
    inner_h = template.label_height - 2 * pad
    unit = _module(template, encoded, inner_w, step)
    above, below = _lines(template, content)
    count = len(above) + len(below)
    gaps = (BAR_TEXT_GAP_MM if above else 0) + (BAR_TEXT_GAP_MM if below else 0)
    size = template.font_size
    while count and size > template.min_font_size + _EPS:
        if count * size * PT_MM * LEADING + gaps + template.min_bar_height <= inner_h + _EPS:
            break
        size = max(template.min_font_size, size - 0.25)
    text_h = count * size * PT_MM * LEADING
    bar_height = inner_h - text_h - gaps
    if bar_height < template.min_bar_height - _EPS:
        raise refuse(
            "template",
            f"the text for {content.code} ({count} lines) and bars of at least "
            f"{template.min_bar_height:.1f} mm do not fit the {template.name} label; "
            "print fewer fields (the template's fields) or use a taller label",
            Code.LABEL_TOO_SMALL,
        )
    lines: list[TextLine] = []
    top = pad

    def place(items: list[tuple[str, bool, bool]], top: float) -> float:
        for text, bold, truncate in items:
            fitted = _fit(text, size, bold, inner_w, template.min_font_size, truncate)
            if fitted is None:
                raise refuse(
                    "barcode",
                    f"the line {text!r} does not fit the {template.name} label",
                    Code.CODE_TOO_LONG_FOR_LABEL,
                )
            line_text, line_size = fitted
            width = text_width(line_text, line_size, bold)
            baseline = top + size * PT_MM * BASELINE
            left = (template.label_width - width) / 2
            lines.append(TextLine(line_text, left, baseline, line_size, bold, width))
            top += size * PT_MM * LEADING
        return top

    top = place(above, top)
    bar_top = top + (BAR_TEXT_GAP_MM if above else 0)
    place(below, bar_top + bar_height + (BAR_TEXT_GAP_MM if below else 0))
    bar_left = (template.label_width - encoded.length * unit) / 2
    if step:
        bar_left = round(bar_left / step) * step
    bars = tuple((bar_left + start * unit, width * unit) for start, width in encoded.bars)
    return LabelLayout(
        width=template.label_width,
        height=template.label_height,
        encoded=encoded,
        unit=unit,
        module=unit * encoded.narrow,
        bar_left=bar_left,
        bar_top=bar_top,
        bar_height=bar_height,
        bars=bars,
        lines=tuple(lines),
    )


def check_label(template: LabelTemplate, content: LabelContent, symbology: str) -> None:
    """Refuse (422) a label that cannot be printed on `template`: a code the symbology cannot
    carry, a wrong check digit, or bars that would not fit, checked as the output lays it out."""
    encoded = encode(content.code, symbology)
    step = None
    if template.output == "zpl" and template.dpi:
        step = 25.4 / template.dpi / encoded.narrow  # whole printer dots, as ZPL lays it out
    layout_label(template, content, encoded, step=step)


def label_problem(template: LabelTemplate, content: LabelContent, symbology: str) -> str | None:
    """Why `check_label` refuses this label (the sentence names the code), or None."""
    try:
        check_label(template, content, symbology)
    except Invalid as exc:
        return "; ".join(error.message for error in exc.errors)
    return None
