"""Checkout receipts for an 80 mm thermal printer (PDF) or any printer (HTML), in English or
Spanish: library, device, due date and time in the branch's zone, and how to renew."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from jinja2 import Environment

from ..notify.render import format_when, kind_label, language_of
from .layout import printable

if TYPE_CHECKING:  # fpdf is imported when a PDF is made (it weighs ~15 MB per process)
    from fpdf import FPDF

__all__ = ["ReceiptFacts", "receipt_html", "receipt_lines", "receipt_pdf"]

WIDTH_MM = 80
MARGIN_MM = 4

_TEXT = {
    "en": {
        "title": "Checkout receipt",
        "card": "Card ending in {last4}",
        "device": "Device",
        "barcode": "Barcode",
        "checked_out": "Checked out",
        "due": "Due back",
        "renewals": "Renewals left: {count}",
        "no_renewals": "This loan cannot be renewed.",
        "how": "How to renew",
        "online": "Online: {url}",
        "phone": "Phone: {phone}",
        "desk": "Or ask at the desk of any branch.",
        "desk_only": "Ask at the desk of any branch.",
        "thanks": "Thank you!",
        "loan": "Loan {id}",
        "due_early": "Due early: devices of this kind are booked for an event then.",
    },
    "es": {
        "title": "Recibo de préstamo",
        "card": "Tarjeta terminada en {last4}",
        "device": "Equipo",
        "barcode": "Código de barras",
        "checked_out": "Prestado",
        "due": "Devolver antes de",
        "renewals": "Renovaciones disponibles: {count}",
        "no_renewals": "Este préstamo no se puede renovar.",
        "how": "Cómo renovar",
        "online": "En línea: {url}",
        "phone": "Teléfono: {phone}",
        "desk": "O pregunte en el mostrador de cualquier sucursal.",
        "desk_only": "Pregunte en el mostrador de cualquier sucursal.",
        "thanks": "¡Gracias!",
        "loan": "Préstamo {id}",
        "due_early": "Vence antes: los equipos de este tipo están reservados para un evento.",
    },
}


@dataclass(frozen=True)
class ReceiptFacts:
    loan_id: int
    library: str
    branch: str
    timezone: str
    language: str
    card_number: str | None
    kind: str
    model: str
    barcode: str
    checked_out_at: datetime
    due_at: datetime
    renewals_left: int
    renew_url: str = ""
    phone: str = ""
    due_early: bool = False  # shortened for a reservation (services/reservations/walk_up.py)


def _when(moment: datetime, timezone: str, language: str) -> str:
    local = moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(ZoneInfo(timezone))
    return f"{format_when(moment, timezone, language, year=True)} ({local.tzname()})"


def receipt_lines(facts: ReceiptFacts) -> list[tuple[str, str]]:
    """(style, text) lines: style is "h1", "h2", "b" (bold), "" or "small"."""
    language = language_of(facts.language)
    t = _TEXT[language]
    kind = kind_label(facts.kind, language)
    lines: list[tuple[str, str]] = [("h1", facts.library)]
    if facts.branch:
        lines.append(("", facts.branch))
    lines.append(("h2", t["title"]))
    if facts.card_number:
        lines.append(("", t["card"].format(last4=facts.card_number[-4:])))
    lines += [
        ("b", t["device"]),
        ("", f"{kind.capitalize()}: {facts.model}"),
        ("", f"{t['barcode']}: {facts.barcode}"),
        ("b", t["checked_out"]),
        ("", _when(facts.checked_out_at, facts.timezone, language)),
        ("b", t["due"]),
        ("h2", _when(facts.due_at, facts.timezone, language)),
    ]
    if facts.due_early:
        lines.append(("b", t["due_early"]))
    if facts.renewals_left > 0:
        lines += [("", t["renewals"].format(count=facts.renewals_left)), ("b", t["how"])]
        if facts.renew_url:
            lines.append(("", t["online"].format(url=facts.renew_url)))
        if facts.phone:
            lines.append(("", t["phone"].format(phone=facts.phone)))
        lines.append(("", t["desk"] if facts.renew_url or facts.phone else t["desk_only"]))
    else:
        lines.append(("", t["no_renewals"]))
    lines += [("small", t["loan"].format(id=facts.loan_id)), ("b", t["thanks"])]
    return lines


_STYLES = {"h1": ("B", 12), "h2": ("B", 11), "b": ("B", 9), "": ("", 9), "small": ("", 7)}


def _write(pdf: FPDF, lines: list[tuple[str, str]]) -> float:
    from fpdf import XPos, YPos

    for style, text in lines:
        weight, size = _STYLES[style]
        pdf.set_font("helvetica", weight, size)
        if style in ("h2", "b"):
            pdf.ln(1.2)
        pdf.multi_cell(
            0,
            size * 0.45,
            printable(text),
            align="C" if style == "h1" else "L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    return pdf.get_y()


def receipt_pdf(facts: ReceiptFacts) -> bytes:
    """One page 80 mm wide, as tall as the receipt (thermal printers cut after it)."""
    from fpdf import FPDF

    lines = receipt_lines(facts)
    probe = FPDF(unit="mm", format=(WIDTH_MM, 1000))
    probe.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    probe.add_page()
    height = _write(probe, lines) + MARGIN_MM
    pdf = FPDF(unit="mm", format=(WIDTH_MM, max(height, 40)))
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_creator("lending")
    pdf.set_title(f"{_TEXT[language_of(facts.language)]['title']} {facts.loan_id}")
    pdf.set_lang(language_of(facts.language))
    pdf.add_page()
    _write(pdf, lines)
    return bytes(pdf.output())


_HTML = """<!doctype html>
<html lang="{{ language }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
  @page { size: 80mm auto; margin: 4mm; }
  body { font: 14px/1.35 system-ui, sans-serif; max-width: 72mm; margin: 0 auto; color: #000; }
  h1 { font-size: 1.3em; text-align: center; margin: 0 0 .2em; }
  h2 { font-size: 1.1em; margin: .6em 0 .2em; }
  p { margin: 0 0 .2em; }
  .b { font-weight: bold; margin-top: .5em; }
  .small { font-size: .8em; }
  @media print { body { max-width: none; } }
</style>
</head>
<body>
<main>
{% for style, text in lines -%}
{% if style == "h1" %}<h1>{{ text }}</h1>
{% elif style == "h2" %}<h2>{{ text }}</h2>
{% else %}<p{% if style %} class="{{ style }}"{% endif %}>{{ text }}</p>
{% endif %}
{%- endfor %}
</main>
</body>
</html>
"""


@lru_cache(maxsize=1)
def _template():
    return Environment(autoescape=True).from_string(_HTML)


def receipt_html(facts: ReceiptFacts) -> str:
    language = language_of(facts.language)
    return _template().render(
        language=language,
        title=f"{_TEXT[language]['title']} {facts.loan_id}",
        lines=receipt_lines(facts),
    )
