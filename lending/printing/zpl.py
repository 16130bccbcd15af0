"""ZPL II for Zebra thermal printers: one ^XA ... ^XZ block per label.

The printer draws the bars itself from its own barcode commands (^BC Code 128, ^B3 Code 39,
^BK Codabar) with a module width (^BY) in whole dots, at least 0.25 mm: 2 dots at 203 dpi,
3 at 300 dpi. The layout is the same one the PDF and PNG outputs use, snapped to dots.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..circulation.codes import Code
from .layout import BASELINE, PT_MM, LabelContent, LabelLayout, layout_label
from .pdf import check_start
from .problems import refuse
from .symbology import CODABAR_START, CODABAR_STOP, encode
from .templates import LabelTemplate

__all__ = ["labels_zpl"]

Progress = Callable[[int, int], None]
_RATIO = {"code128": "2.0", "code39": "3.0", "codabar": "2.5"}


def _field_data(text: str) -> str:
    """^FD text under ^FH\\: the command characters and non-ASCII as _hex escapes (UTF-8)."""
    out = []
    for ch in text:
        if ch in "^~\\" or not " " <= ch <= "~":
            out.append("".join(f"\\{b:02X}" for b in ch.encode()))
        else:
            out.append(ch)
    return "".join(out)


def _barcode(layout: LabelLayout, dot: float) -> str:
    encoded = layout.encoded
    module = round(layout.module / dot)
    height = round(layout.bar_height / dot)
    origin = f"^FO{round(layout.bar_left / dot)},{round(layout.bar_top / dot)}"
    setup = f"^BY{module},{_RATIO[encoded.symbology]},{height}"
    if encoded.symbology == "code128":
        command = f"^BCN,{height},N,N,N,A"
        data = encoded.code
    elif encoded.symbology == "code39":
        command = f"^B3N,N,{height},N,N"
        data = encoded.code
    else:
        command = f"^BKN,N,{height},N,N,{CODABAR_START},{CODABAR_STOP}"
        data = encoded.code
    return f"{origin}{setup}{command}^FH\\^FD{_field_data(data)}^FS"


def _label(layout: LabelLayout, dpi: int) -> str:
    dot = 25.4 / dpi
    width = round(layout.width / dot)
    lines = [
        "^XA",
        "^CI28",  # UTF-8
        f"^PW{width}",
        f"^LL{round(layout.height / dot)}",
        "^LH0,0",
        _barcode(layout, dot),
    ]
    for line in layout.lines:
        size = line.size * PT_MM
        height = max(10, round(size / dot))
        top = round((line.baseline - size * BASELINE) / dot)
        lines.append(
            f"^FO0,{top}^FB{width},1,0,C,0^A0N,{height},{height}^FH\\^FD{_field_data(line.text)}^FS"
        )
    lines.append("^XZ")
    return "\n".join(lines)


def labels_zpl(
    template: LabelTemplate,
    labels: Sequence[LabelContent],
    symbology: str,
    *,
    start_at: int = 1,
    progress: Progress | None = None,
) -> bytes:
    if template.output != "zpl" or template.dpi is None:
        raise refuse(
            "format",
            f"{template.name} is a PDF template; ZPL needs a Zebra template",
            Code.FORMAT_NOT_SUPPORTED,
        )
    check_start(template, start_at)
    dot = 25.4 / template.dpi
    blocks = []
    total = len(labels)
    for done, item in enumerate(labels, start=1):
        encoded = encode(item.code, symbology)
        layout = layout_label(template, item, encoded, step=dot / encoded.narrow)
        blocks.append(_label(layout, template.dpi))
        if progress is not None and (done % 30 == 0 or done == total):
            progress(done, total)
    return ("\n".join(blocks) + "\n").encode()
