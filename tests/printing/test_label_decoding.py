"""Printed labels read back by a real barcode reader: every PDF template in every symbology,
rasterised at 150 and 300 dpi like a printer would, each barcode found with the right text in
the right grid cell; single SVG and PNG labels the same way."""

from __future__ import annotations

import pytest
from barcode_reader import pdf_pages, read_image, read_png, svg_as_pdf

from lending.printing import (
    LabelContent,
    label_png,
    label_svg,
    labels_pdf,
    list_templates,
    load_template,
)

LIBRARY = "Springfield Public Library"
# Codes each symbology can carry: 14-digit library codes with their check digit, and shorter ones.
CODES = {
    "code128": ["20000000000048", "DEV-001", "hs 7", "LAP/42", "30000000000012"],
    "code39": ["DEV-001", "HS7", "12345", "LAP 42", "A1B2"],
    "codabar": ["20000000000048", "12345", "987-654", "30000000000012", "4.5"],
}
PDF_TEMPLATES = [name for name in list_templates() if load_template(name).output == "pdf"]


def label(code: str, i: int) -> LabelContent:
    if i % 2:
        return LabelContent(code, "laptop", "Chromebook 11", LIBRARY)
    return LabelContent(
        code, "hotspot", "Nighthawk M6", LIBRARY, "SPL-HOTSPOT", "correct-horse-42", "555-0100"
    )


def expected_cell(template, position: int) -> tuple[int, tuple[float, float, float, float]]:
    """(page index, (left, top, right, bottom) in mm) of the 0-based print position."""
    left, top = template.cell_origin(position)
    return position // template.per_page, (
        left,
        top,
        left + template.label_width,
        top + template.label_height,
    )


def test_the_shipped_pdf_templates_cover_sheets_and_rolls():
    media = {load_template(name).media for name in PDF_TEMPLATES}
    assert {"avery-5160", "avery-l7160", "dymo-30334"} <= set(PDF_TEMPLATES)
    assert media == {"sheet", "roll"}


@pytest.mark.parametrize("symbology", sorted(CODES))
@pytest.mark.parametrize("template_name", PDF_TEMPLATES)
def test_every_label_on_a_pdf_reads_back_in_its_grid_cell_at_150_and_300_dpi(
    template_name, symbology
):
    template = load_template(template_name)
    start_at = 4 if template.per_page > 1 else 1
    codes = CODES[symbology] if template.per_page > 1 else CODES[symbology][:3]
    pdf = labels_pdf(
        template, [label(c, i) for i, c in enumerate(codes)], symbology, start_at=start_at
    )

    for dpi in (150, 300):
        pages = pdf_pages(pdf, dpi)
        assert len(pages) == (1 if template.per_page > 1 else len(codes))
        reads = {page: read_image(image, dpi) for page, image in enumerate(pages)}
        for i, code in enumerate(codes):
            page, (left, top, right, bottom) = expected_cell(template, start_at - 1 + i)
            here = [r for r in reads[page] if r.text == code]
            assert len(here) == 1, (dpi, code, [r.raw for r in reads[page]])
            assert left < here[0].x_mm < right and top < here[0].y_mm < bottom, (dpi, code)
        every = [r.text for found in reads.values() for r in found]
        assert sorted(every) == sorted(codes), dpi  # nothing else, nothing twice


@pytest.mark.parametrize("symbology", sorted(CODES))
def test_a_single_svg_label_reads_back_at_150_and_300_dpi(symbology):
    template = load_template("avery-5160")
    code = CODES[symbology][0]
    svg = label_svg(template, label(code, 0), symbology)

    assert svg.startswith(b"<?xml") and b'width="66.675mm"' in svg
    pdf = svg_as_pdf(svg, template.label_width, template.label_height)
    for dpi in (150, 300):
        (page,) = pdf_pages(pdf, dpi)
        assert [r.text for r in read_image(page, dpi)] == [code]


@pytest.mark.parametrize("template_name", ["avery-5160", "zebra-2x1", "dymo-30334"])
@pytest.mark.parametrize("symbology", sorted(CODES))
def test_a_single_png_label_reads_back_at_the_printers_resolution(template_name, symbology):
    template = load_template(template_name)
    code = CODES[symbology][0]

    reads, image = read_png(label_png(template, label(code, 0), symbology))

    assert [r.text for r in reads] == [code]
    dpi = template.dpi or 300
    assert image.size == (round(template.label_width / 25.4 * dpi),
                          round(template.label_height / 25.4 * dpi))  # fmt: skip
    assert image.info["dpi"][0] == pytest.approx(dpi, abs=0.01)
