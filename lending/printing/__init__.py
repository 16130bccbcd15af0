"""Label and receipt rendering (python-barcode + fpdf2); no database, no web framework.

- templates: label stock templates from `labels/*.toml`
- symbology: Code128 / Code39 / Codabar patterns and the checks a code must pass
- layout: where bars and text go on one label (bars >= 0.25 mm; text shrinks first)
- pdf, zpl, single: sheets and rolls as PDF, Zebra ZPL, one label as SVG or PNG
- receipt: checkout receipts (80 mm PDF, printable HTML), English and Spanish
"""

from .layout import LabelContent, LabelLayout, check_label, label_problem, layout_label
from .pdf import check_start, labels_pdf, pages_needed
from .problems import TemplateError, refuse
from .receipt import ReceiptFacts, receipt_html, receipt_pdf
from .single import label_png, label_svg
from .symbology import SYMBOLOGIES, Encoded, check_codes, encode
from .templates import LabelTemplate, default_labels_dir, list_templates, load_template
from .zpl import labels_zpl

__all__ = [
    "SYMBOLOGIES",
    "Encoded",
    "LabelContent",
    "LabelLayout",
    "LabelTemplate",
    "ReceiptFacts",
    "TemplateError",
    "check_codes",
    "check_label",
    "check_start",
    "default_labels_dir",
    "encode",
    "label_png",
    "label_svg",
    "labels_pdf",
    "labels_zpl",
    "label_problem",
    "layout_label",
    "list_templates",
    "load_template",
    "pages_needed",
    "receipt_html",
    "receipt_pdf",
    "refuse",
]
