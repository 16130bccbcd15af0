"""ZPL for Zebra printers: the right commands, data and dimensions in dots."""

from __future__ import annotations

import re

import pytest

from lending.circulation import Invalid
from lending.printing import LabelContent, labels_zpl, load_template

LIBRARY = "Springfield Public Library"


def zpl(labels: list[LabelContent], symbology: str = "code128") -> str:
    return labels_zpl(load_template("zebra-2x1"), labels, symbology).decode()


def blocks(text: str) -> list[str]:
    return re.findall(r"\^XA.*?\^XZ", text, flags=re.S)


def test_each_label_is_one_block_sized_for_a_2_by_1_inch_label_at_203_dpi():
    text = zpl([LabelContent(c, "laptop", "Chromebook", LIBRARY) for c in ("DEV1", "DEV2")])

    assert len(blocks(text)) == 2 and text.count("^XA") == 2
    for block in blocks(text):
        assert "^CI28" in block  # UTF-8 text
        assert "^PW406" in block and "^LL203" in block


@pytest.mark.parametrize(
    ("symbology", "code", "command", "ratio"),
    [
        ("code128", "20000000000048", r"\^BCN,(\d+),N,N,N,A", "2.0"),
        ("code39", "DEV-001", r"\^B3N,N,(\d+),N,N", "3.0"),
        ("codabar", "20000000000048", r"\^BKN,N,(\d+),N,N,A,A", "2.5"),
    ],
)
def test_the_printer_draws_the_bars_with_a_module_of_at_least_a_quarter_millimetre(
    symbology, code, command, ratio
):
    (block,) = blocks(zpl([LabelContent(code, "laptop", "Chromebook", LIBRARY)], symbology))

    found = re.search(r"\^FO(\d+),(\d+)\^BY(\d+),([\d.]+),(\d+)" + command + r"\^FH\\\^FD(.*?)\^FS",
                      block)  # fmt: skip
    assert found, block
    x, y, module, got_ratio, height, bar_height, data = found.groups()
    assert int(module) * 25.4 / 203 >= 0.25  # 2 dots or more
    assert got_ratio == ratio
    assert int(height) == int(bar_height) >= round(0.25 * 203)  # min_bar_height 0.25 in
    assert data == code
    assert 0 < int(x) < 406 and 0 < int(y) < 203
    assert f"^FD{code}^FS" in block  # the human-readable line


def test_hotspot_labels_carry_the_wifi_name_password_and_support_phone():
    hotspot = LabelContent("HS1", "hotspot", "M6", LIBRARY, "SPL-7", "horse-42", "555-0100")

    (block,) = blocks(zpl([hotspot]))

    for text in ("Wi-Fi: SPL-7", "Password: horse-42", "Help: 555-0100", f"Property of {LIBRARY}"):
        assert f"^FD{text}^FS" in block
    assert all("^FB406,1,0,C,0" in line for line in block.splitlines() if "Wi-Fi" in line)


def test_characters_that_are_zpl_commands_are_escaped():
    (block,) = blocks(zpl([LabelContent("HS1", "laptop", "Model ^XZ~JA\u00e9", LIBRARY)]))

    assert "^FDLaptop - Model \\5EXZ\\7EJA\\C3\\A9^FS" in block
    assert block.count("^XZ") == 1


def test_a_pdf_template_does_not_make_zpl_and_a_roll_has_no_start_position():
    laptop = LabelContent("DEV1", "laptop", "Chromebook", LIBRARY)

    with pytest.raises(Invalid) as caught:
        labels_zpl(load_template("avery-5160"), [laptop], "code128")
    assert caught.value.code == "format_not_supported"
    with pytest.raises(Invalid) as caught:
        labels_zpl(load_template("zebra-2x1"), [laptop], "code128", start_at=2)
    assert caught.value.code == "start_position_off_sheet"
