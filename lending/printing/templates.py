"""Label stock templates: one TOML file per stock in `labels/` (or LENDING_LABELS_DIR).

A template gives the page (sheets) or the label alone (rolls), the grid and margins, and which
fields print. Lengths are in the file's `unit` ("mm" or "in"); here they are always millimetres.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..circulation.codes import Code
from .problems import TemplateError, refuse

__all__ = [
    "DEFAULT_TEXT",
    "FIELDS",
    "LabelTemplate",
    "TemplateError",
    "default_labels_dir",
    "list_templates",
    "load_template",
    "parse_template",
]

FIELDS = ("library", "property_of", "barcode", "code", "kind_model", "wifi", "support_phone")
DEFAULT_TEXT = {
    "property_of": "Property of {library}",
    "wifi": "Wi-Fi: {name}",
    "password": "Password: {password}",
    "support_phone": "Help: {phone}",
}
_UNITS = {"mm": 1.0, "in": 25.4}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SLACK_MM = 0.01


@dataclass(frozen=True)
class LabelTemplate:
    name: str
    title: str
    media: str  # "sheet" (a grid on a page) or "roll" (one label per page or ZPL block)
    output: str  # "pdf" or "zpl"
    label_width: float
    label_height: float
    padding: float
    page_width: float
    page_height: float
    columns: int = 1
    rows: int = 1
    margin_top: float = 0.0
    margin_left: float = 0.0
    gap_x: float = 0.0
    gap_y: float = 0.0
    dpi: int | None = None  # thermal printers (ZPL)
    fields: tuple[str, ...] = ("barcode", "code")
    font_size: float = 7.0
    min_font_size: float = 5.0
    min_bar_height: float = 6.35
    max_module: float = 0.5
    text: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TEXT))

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def cell_origin(self, position: int) -> tuple[float, float]:
        """Top-left corner (mm) of the label at 0-based `position` on its page, row by row."""
        row, column = divmod(position % self.per_page, self.columns)
        return (
            self.margin_left + column * (self.label_width + self.gap_x),
            self.margin_top + row * (self.label_height + self.gap_y),
        )


def default_labels_dir() -> Path:
    """`labels/` at the top of the source tree, next to the `lending` package."""
    return Path(__file__).resolve().parents[2] / "labels"


def _number(section: dict[str, Any], key: str, where: str, scale: float, *, minimum=0.0) -> float:
    value = section.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TemplateError(f"{where}: {key} must be a number")
    if value < minimum:
        raise TemplateError(f"{where}: {key} must be at least {minimum}")
    return float(value) * scale


def _count(section: dict[str, Any], key: str, where: str) -> int:
    value = section.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        raise TemplateError(f"{where}: {key} must be a whole number from 1 to 100")
    return value


def _known(section: dict[str, Any], keys: set[str], where: str) -> None:
    unknown = sorted(set(section) - keys)
    if unknown:
        raise TemplateError(f"{where}: unknown setting(s) {', '.join(unknown)}")


def parse_template(name: str, data: dict[str, Any]) -> LabelTemplate:
    """Check a template's data and convert it to millimetres; raise TemplateError if unusable."""
    where = f"label template {name!r}"
    _known(data, {"title", "media", "output", "unit", "dpi", "page", "label", "grid", "print",
                  "text"}, where)  # fmt: skip
    unit = data.get("unit", "mm")
    if unit not in _UNITS:
        raise TemplateError(f"{where}: unit must be mm or in")
    scale = _UNITS[unit]
    media = data.get("media")
    if media not in ("sheet", "roll"):
        raise TemplateError(f"{where}: media must be sheet or roll")
    output = data.get("output", "pdf")
    if output not in ("pdf", "zpl"):
        raise TemplateError(f"{where}: output must be pdf or zpl")
    if output == "zpl" and media != "roll":
        raise TemplateError(f"{where}: ZPL templates are rolls")
    dpi = data.get("dpi")
    if output == "zpl" and dpi not in (203, 300, 600):
        raise TemplateError(f"{where}: a ZPL template needs dpi = 203, 300 or 600")
    label = data.get("label", {})
    _known(label, {"width", "height", "padding"}, f"{where} [label]")
    width = _number(label, "width", f"{where} [label]", scale, minimum=0.1)
    height = _number(label, "height", f"{where} [label]", scale, minimum=0.1)
    padding = _number({"padding": label.get("padding", 0)}, "padding", where, scale)
    if 2 * padding >= min(width, height):
        raise TemplateError(f"{where}: the padding leaves no room on the label")
    values: dict[str, Any] = {}
    if media == "sheet":
        page, grid = data.get("page", {}), data.get("grid", {})
        _known(page, {"width", "height"}, f"{where} [page]")
        _known(grid, {"columns", "rows", "margin_top", "margin_left", "gap_x", "gap_y"},
               f"{where} [grid]")  # fmt: skip
        values = {
            "page_width": _number(page, "width", f"{where} [page]", scale, minimum=1),
            "page_height": _number(page, "height", f"{where} [page]", scale, minimum=1),
            "columns": _count(grid, "columns", f"{where} [grid]"),
            "rows": _count(grid, "rows", f"{where} [grid]"),
            **{
                key: _number({key: grid.get(key, 0)}, key, f"{where} [grid]", scale)
                for key in ("margin_top", "margin_left", "gap_x", "gap_y")
            },
        }
        right = values["margin_left"] + values["columns"] * width
        right += (values["columns"] - 1) * values["gap_x"]
        bottom = values["margin_top"] + values["rows"] * height
        bottom += (values["rows"] - 1) * values["gap_y"]
        if right > values["page_width"] + _SLACK_MM or bottom > values["page_height"] + _SLACK_MM:
            raise TemplateError(f"{where}: the grid does not fit on the page")
    else:
        if "page" in data or "grid" in data:
            raise TemplateError(f"{where}: a roll has no [page] or [grid]; the label is the page")
        values = {"page_width": width, "page_height": height}
    printing = data.get("print", {})
    _known(printing, {"fields", "font_size", "min_font_size", "min_bar_height", "max_module"},
           f"{where} [print]")  # fmt: skip
    fields = printing.get("fields", ["barcode", "code"])
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise TemplateError(f"{where}: fields must be a list of names")
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        raise TemplateError(
            f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}"
        )
    if "barcode" not in fields or len(set(fields)) != len(fields):
        raise TemplateError(f"{where}: fields must name barcode once, and each field once")
    font_size = float(printing.get("font_size", 7))
    min_font_size = float(printing.get("min_font_size", 5))
    if not 3 <= min_font_size <= font_size <= 36:
        raise TemplateError(f"{where}: need 3 <= min_font_size <= font_size <= 36 (points)")
    text = data.get("text", {})
    _known(text, set(DEFAULT_TEXT), f"{where} [text]")
    if not all(isinstance(v, str) and len(v) <= 200 for v in text.values()):
        raise TemplateError(f"{where}: [text] values must be short strings")
    return LabelTemplate(
        name=name,
        title=str(data.get("title") or name),
        media=media,
        output=output,
        label_width=width,
        label_height=height,
        padding=padding,
        dpi=dpi,
        fields=tuple(fields),
        font_size=font_size,
        min_font_size=min_font_size,
        min_bar_height=_number(
            {"v": printing.get("min_bar_height", 0.25 * 25.4 / scale)}, "v", where, scale
        ),
        max_module=max(
            0.25, _number({"v": printing.get("max_module", 0.5 / scale)}, "v", where, scale)
        ),
        text={**DEFAULT_TEXT, **text},
        **values,
    )


def list_templates(directory: Path | str | None = None) -> list[str]:
    folder = Path(directory) if directory else default_labels_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.toml") if _NAME.match(p.stem))


def load_template(name: str, directory: Path | str | None = None) -> LabelTemplate:
    """The template `name` (file `<name>.toml`); unknown → Invalid `unknown_template`."""
    folder = Path(directory) if directory else default_labels_dir()
    if not _NAME.match(name or "") or not (folder / f"{name}.toml").is_file():
        known = ", ".join(list_templates(folder)) or "none installed"
        raise refuse(
            "template", f"no label template {name!r} (known: {known})", Code.UNKNOWN_TEMPLATE
        )
    path = folder / f"{name}.toml"
    stat = path.stat()
    return _load(str(path), name, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _load(path: str, name: str, _mtime: int, _size: int) -> LabelTemplate:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TemplateError(f"label template {name!r} ({path}) cannot be read: {exc}") from None
    return parse_template(name, data)
