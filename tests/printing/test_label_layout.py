"""Templates, symbologies and the layout rules: bars never under 0.25 mm, text shrinks before
bars do, codes too long for the stock or not encodable are refused with a clear code."""

from __future__ import annotations

import pytest

from lending.circulation import Invalid
from lending.printing import (
    LabelContent,
    TemplateError,
    encode,
    labels_pdf,
    layout_label,
    list_templates,
    load_template,
)
from lending.printing.layout import PT_MM, text_width
from lending.printing.templates import parse_template

LIBRARY = "Springfield Public Library"
HOTSPOT = LabelContent(
    "20000000000048", "hotspot", "Nighthawk M6", LIBRARY, "SPL-7", "horse-42", "555-0100"
)
LAPTOP = LabelContent("20000000000048", "laptop", "Chromebook 11", LIBRARY)


def refused(call, *args, **kwargs) -> Invalid:
    with pytest.raises(Invalid) as caught:
        call(*args, **kwargs)
    return caught.value


# ---- templates --------------------------------------------------------------------------


def test_the_shipped_templates_have_the_stock_sizes_and_grids():
    avery = load_template("avery-5160")
    assert (avery.page_width, avery.page_height) == pytest.approx((215.9, 279.4))
    assert (avery.columns, avery.rows, avery.per_page) == (3, 10, 30)
    assert (avery.label_width, avery.label_height) == pytest.approx((66.675, 25.4))
    assert avery.cell_origin(0) == pytest.approx((4.7625, 12.7))
    assert avery.cell_origin(29) == pytest.approx((4.7625 + 2 * 69.85, 12.7 + 9 * 25.4))
    a4 = load_template("avery-l7160")
    assert (a4.page_width, a4.page_height, a4.per_page) == pytest.approx((210, 297, 21))
    assert (a4.label_width, a4.label_height) == pytest.approx((63.5, 38.1))
    zebra = load_template("zebra-2x1")
    assert (zebra.output, zebra.dpi, zebra.media) == ("zpl", 203, "roll")
    assert (zebra.label_width, zebra.label_height) == pytest.approx((50.8, 25.4))
    dymo = load_template("dymo-30334")
    assert (dymo.output, dymo.media, dymo.per_page) == ("pdf", "roll", 1)
    assert (dymo.page_width, dymo.page_height) == pytest.approx((57.15, 31.75))


def test_an_unknown_template_is_refused_with_the_known_ones_listed():
    error = refused(load_template, "avery-9999")

    assert error.code == "unknown_template"
    assert "avery-5160" in error.detail and error.errors[0].field == "template"
    assert refused(load_template, "../etc/passwd").code == "unknown_template"


def test_templates_are_read_from_another_folder_when_one_is_configured(tmp_path):
    source = load_template("avery-5160")
    (tmp_path / "shelf-tags.toml").write_text(
        'media = "roll"\nunit = "mm"\n[label]\nwidth = 60\nheight = 30\n'
        '[print]\nfields = ["barcode", "code"]\n'
    )

    assert list_templates(tmp_path) == ["shelf-tags"]
    assert load_template("shelf-tags", tmp_path).label_width == 60
    assert source.name == "avery-5160"


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ({"media": "sheet", "page": {"width": 100, "height": 100},
          "label": {"width": 60, "height": 30},
          "grid": {"columns": 2, "rows": 1}}, "does not fit on the page"),
        ({"media": "roll", "label": {"width": 60, "height": 30},
          "print": {"fields": ["barcode", "serial"]}}, "unknown field(s) serial"),
        ({"media": "roll", "label": {"width": 60, "height": 30}, "colour": "red"},
         "unknown setting(s) colour"),
        ({"media": "roll", "output": "zpl", "label": {"width": 60, "height": 30}}, "dpi"),
        ({"media": "roll", "label": {"width": 60, "height": 30},
          "print": {"fields": ["code"]}}, "must name barcode"),
    ],
)  # fmt: skip
def test_a_broken_template_file_is_refused_saying_what_is_wrong(data, complaint):
    with pytest.raises(TemplateError) as caught:
        parse_template("broken", data)

    assert complaint in caught.value.detail
    assert "broken" in caught.value.detail


# ---- symbologies ------------------------------------------------------------------------


def test_a_14_digit_library_code_with_a_wrong_check_digit_is_refused():
    error = refused(encode, "20000000000049", "code128")

    assert error.code == "bad_check_digit"
    assert "check digit" in error.detail


@pytest.mark.parametrize(
    ("code", "symbology"),
    [("dev001", "code39"), ("DEV001", "codabar"), ("HS_7", "code39"), ("caf\u00e9", "code128")],
)
def test_a_code_the_symbology_cannot_carry_is_refused(code, symbology):
    error = refused(encode, code, symbology)

    assert error.code == "barcode_not_encodable"
    assert code in error.detail


def test_codabar_bars_carry_start_and_stop_letters_around_the_code():
    encoded = encode("12345", "codabar")

    assert encoded.data == "A12345A"
    assert encoded.narrow == 2  # python-barcode units: narrow 2, wide 5 (ratio 2.5)


# ---- layout -----------------------------------------------------------------------------


@pytest.mark.parametrize("template_name", list_templates())
@pytest.mark.parametrize(
    ("symbology", "code"),
    [("code128", "20000000000048"), ("codabar", "20000000000048"), ("code39", "DEV-001")],
)
def test_the_narrowest_bar_is_never_under_a_quarter_millimetre(template_name, symbology, code):
    template = load_template(template_name)
    encoded = encode(code, symbology)

    layout = layout_label(template, LAPTOP, encoded)
    narrowest = min(width for _, width in layout.bars)

    assert layout.module >= 0.25 and narrowest >= 0.25 - 1e-9
    assert layout.bar_left >= template.padding - 1e-9
    assert layout.bar_left + layout.bar_width <= template.label_width - template.padding + 1e-9
    assert layout.bar_height >= template.min_bar_height - 1e-9


def test_a_code_too_long_for_the_stock_is_refused_not_printed_thin():
    template = load_template("avery-5160")

    error = refused(labels_pdf, template, [LAPTOP], "code39")

    assert error.code == "code_too_long_for_label"
    assert "20000000000048" in error.detail and "0.25 mm" in error.detail
    assert "66.7 mm" in error.detail


def test_text_shrinks_before_the_bars_get_shorter_or_thinner():
    template = load_template("avery-5160")
    encoded = encode("20000000000048", "code128")

    roomy = layout_label(template, LAPTOP, encoded)  # 3 lines of text
    crowded = layout_label(template, HOTSPOT, encoded)  # 6 lines: Wi-Fi, password, phone

    assert max(line.size for line in crowded.lines) < max(line.size for line in roomy.lines)
    assert min(line.size for line in crowded.lines) >= template.min_font_size
    assert crowded.module == roomy.module
    assert crowded.bar_height >= template.min_bar_height - 1e-9
    texts = [line.text for line in crowded.lines]
    assert texts == [
        f"Property of {LIBRARY}",
        "20000000000048",
        "Hotspot - Nighthawk M6",
        "Wi-Fi: SPL-7",
        "Password: horse-42",
        "Help: 555-0100",
    ]
    bottom = max(line.baseline for line in crowded.lines)
    assert bottom <= template.label_height - template.padding


def test_a_long_model_name_is_shortened_to_fit_the_label_and_never_overflows():
    template = load_template("avery-5160")
    long_model = LabelContent("DEV1", "laptop", "Chromebook " + "Enterprise Edition " * 6, LIBRARY)

    layout = layout_label(template, long_model, encode("DEV1", "code128"))
    model_line = next(line for line in layout.lines if line.text.startswith("Laptop"))

    assert model_line.text.endswith("...")
    assert model_line.size == template.min_font_size
    width = text_width(model_line.text, model_line.size, model_line.bold)
    assert width <= template.label_width - 2 * template.padding
    assert model_line.size * PT_MM > 1.5  # still legible: 5 pt


def test_a_label_too_short_for_its_text_and_bars_is_refused():
    template = parse_template(
        "tiny",
        {"media": "roll", "unit": "mm", "label": {"width": 60, "height": 12},
         "print": {"fields": ["library", "barcode", "code", "kind_model", "property_of"],
                   "min_bar_height": 6}},
    )  # fmt: skip

    error = refused(layout_label, template, LAPTOP, encode("DEV1", "code128"))

    assert error.code == "label_too_small"


def test_a_start_position_off_the_sheet_is_refused():
    template = load_template("avery-5160")

    for start in (0, 31):
        error = refused(labels_pdf, template, [LAPTOP], "code128", start_at=start)
        assert error.code == "start_position_off_sheet"
        assert "1 to 30" in error.detail
    assert (
        refused(labels_pdf, load_template("dymo-30334"), [LAPTOP], "code128", start_at=2).code
        == "start_position_off_sheet"
    )


def test_text_outside_latin_1_prints_without_failing():
    template = load_template("avery-l7160")
    content = LabelContent("DEV1", "laptop", "Caf\u00e9 \u2014 \u0141\u00f3d\u017a", "Biblioteca")

    pdf = labels_pdf(template, [content], "code128")

    assert pdf.startswith(b"%PDF")
