"""Reading printed labels back the way a desk scanner would: PDF pages rasterised by poppler's
`pdftoppm` at a printer-like resolution, then decoded by zxing-cpp (a real barcode reader).

Without `pdftoppm` the tests that need it skip, saying why; with LENDING_CI=1 they fail.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from lending.circulation import normalize_code

__all__ = ["Read", "need_pdftoppm", "pdf_pages", "read_image", "read_png", "svg_as_pdf"]


_FORMATS = (zxingcpp.BarcodeFormat.Code128, zxingcpp.BarcodeFormat.Code39,
            zxingcpp.BarcodeFormat.Codabar)  # fmt: skip


@dataclass(frozen=True)
class Read:
    text: str  # as the scanner would send it, normalised like the desk does (Codabar A..A off)
    raw: str
    format: str
    x_mm: float  # the barcode's centre, from the image's top-left corner
    y_mm: float


def need_pdftoppm() -> str:
    path = shutil.which("pdftoppm")
    if path:
        return path
    reason = "pdftoppm (Debian package poppler-utils) is not installed"
    if os.environ.get("LENDING_CI") == "1":
        pytest.fail(f"{reason}; CI needs it to read labels back")
    pytest.skip(reason)


def pdf_pages(pdf: bytes, dpi: int) -> list[Image.Image]:
    """Every page of `pdf` as a grayscale image at `dpi`."""
    tool = need_pdftoppm()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            [tool, "-r", str(dpi), "-gray", str(source), str(Path(folder) / "page")],
            check=True,
            capture_output=True,
        )
        pages = sorted(Path(folder).glob("page-*.pgm"), key=lambda p: int(p.stem.split("-")[-1]))
        return [Image.open(p).copy() for p in pages]


def read_image(image: Image.Image, dpi: float) -> list[Read]:
    found = []
    # Like a desk scanner set up for library symbologies: upright labels, dark bars.
    for result in zxingcpp.read_barcodes(image, formats=_FORMATS, try_rotate=False,
                                         try_invert=False):  # fmt: skip
        p = result.position
        corners = [p.top_left, p.top_right, p.bottom_left, p.bottom_right]
        x = sum(c.x for c in corners) / 4 * 25.4 / dpi
        y = sum(c.y for c in corners) / 4 * 25.4 / dpi
        found.append(Read(normalize_code(result.text), result.text, result.format.name, x, y))
    return found


def read_png(png: bytes) -> tuple[list[Read], Image.Image]:
    image = Image.open(io.BytesIO(png))
    dpi = image.info.get("dpi", (300, 300))[0]
    return read_image(image, float(dpi)), image


def svg_as_pdf(svg: bytes, width_mm: float, height_mm: float) -> bytes:
    """An SVG drawn by fpdf2's SVG renderer onto a page of its own size (pdftoppm reads it)."""
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format=(width_mm, height_mm))
    pdf.add_page()
    pdf.image(io.BytesIO(svg), x=0, y=0, w=width_mm, h=height_mm)
    return bytes(pdf.output())
