"""Barcode labels (single SVG/PNG, sheets and rolls as PDF or ZPL) and checkout receipts."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from litestar import Controller, Response, get, post
from litestar.openapi.spec import OpenAPIMediaType, Operation
from litestar.params import FromQuery, Parameter
from msgspec import Meta

from ..circulation import FieldError, Invalid
from ..circulation.permissions import Action
from ..schemas.base import Code, Input, Kind, Short
from ..services.circulation import receipts
from ..services.inventory import labels
from ..settings import Settings
from .common import ActorDep, Id, JSONBody, Now, SettingsDep, code, errors
from .security import requires

__all__ = ["LabelController", "ReceiptController"]

Barcode = Annotated[str, Parameter(max_length=200)]
Symbology = Literal["code128", "codabar", "code39"]
TemplateName = Annotated[
    str, Meta(min_length=1, max_length=64, description="label template (a file in labels/)")
]
TemplateQuery = Annotated[
    str | None, Parameter(max_length=64, description="label template (default avery-5160)")
]
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


class LabelsIn(Input):
    """Which devices, on which stock. Give `barcodes`, or filters, or `all`."""

    template: TemplateName = labels.DEFAULT_TEMPLATE
    barcodes: Annotated[list[Code], Meta(max_length=labels.MAX_LABELS)] | None = None
    kind: Kind | None = None
    branch: Short | None = None
    added_since: (
        Annotated[str, Meta(max_length=40, description="YYYY-MM-DD (library time) or ISO time")]
        | None
    ) = None
    needs_label: bool | None = None
    all: bool = False
    start_at: Annotated[
        int, Meta(ge=1, le=1000, description="first position on the first sheet, row by row")
    ] = 1
    symbology: Symbology | None = None
    format: Literal["pdf", "zpl"] | None = None


def _also_zpl(media_type: str) -> type[Operation]:
    """The 200 of POST /api/labels is a PDF or ZPL text, depending on the template."""

    class LabelsOperation(Operation):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            ok = (self.responses or {}).get("200")
            content = getattr(ok, "content", None)
            if content:
                schema = next(iter(content.values())).schema
                content[media_type] = OpenAPIMediaType(schema=schema)

    return LabelsOperation


def _added_since(raw: str | None) -> date | datetime | None:
    if raw is None:
        return None
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw)
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise Invalid(
            FieldError("added_since", "a date (2026-12-01) or a time with its offset")
        ) from None
    if moment.tzinfo is None:
        raise Invalid(FieldError("added_since", "give the time with its UTC offset"))
    return moment


def _file(content: bytes, media_type: str, filename: str, disposition: str) -> Response[bytes]:
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{_SAFE.sub("_", filename)}"',
            "Cache-Control": "no-store",
        },
    )


async def _single_label(
    settings: Settings, barcode: str, fmt: str, template: str | None, symbology: str | None
) -> Response[bytes]:
    """One device's label for previewing or a single reprint (read-only: the queue stays)."""
    device = code(barcode, "barcode")
    content, media_type = await labels.device_label(
        settings, device, fmt=fmt, template=template, symbology=symbology
    )
    return _file(content, media_type, f"label-{device}.{fmt}", "inline")


class LabelController(Controller):
    path = "/api"
    tags = ["labels"]

    @get(
        "/devices/{barcode:str}/label.svg",
        guards=[requires(Action.DEVICE_READ)],
        media_type="image/svg+xml",
        responses=errors(401, 403, 404, 422),
        description="One device's label as SVG. Read-only: it does not clear needs_label.",
    )
    async def label_svg(
        self,
        barcode: Barcode,
        settings: SettingsDep,
        template: TemplateQuery = None,
        symbology: FromQuery[Symbology | None] = None,
    ) -> Response[bytes]:
        return await _single_label(settings, barcode, "svg", template, symbology)

    @get(
        "/devices/{barcode:str}/label.png",
        guards=[requires(Action.DEVICE_READ)],
        media_type="image/png",
        responses=errors(401, 403, 404, 422),
        description="One device's label as PNG (300 dpi, or the thermal printer's). Read-only.",
    )
    async def label_png(
        self,
        barcode: Barcode,
        settings: SettingsDep,
        template: TemplateQuery = None,
        symbology: FromQuery[Symbology | None] = None,
    ) -> Response[bytes]:
        return await _single_label(settings, barcode, "png", template, symbology)

    @post(
        "/labels",
        guards=[requires(Action.LABEL_PRINT)],
        status_code=200,
        media_type="application/pdf",
        operation_class=_also_zpl("text/plain"),
        responses=errors(400, 401, 403, 404, 422),
        description=(
            "A sheet or roll of labels as a file: PDF (Avery sheets, DYMO rolls) or ZPL text "
            "(Zebra). Printing clears needs_label for the printed devices. Devices that cannot "
            "be labelled (a wrong check digit, a code the symbology cannot carry or too long "
            "for the label) are left out and stay on the reprint queue: the header "
            "X-Labels-Refused-Count says how many, and X-Labels-Refused lists up to 50 of their "
            "barcodes, percent-encoded and comma-separated (GET /api/devices/{barcode}/label.svg "
            "says why). When no device can be labelled the answer is 422."
        ),
    )
    async def print_labels(
        self, data: JSONBody[LabelsIn], actor: ActorDep, now: Now, settings: SettingsDep
    ) -> Response[bytes]:
        request = labels.LabelRequest(
            template=data.template,
            barcodes=[code(b, "barcodes") for b in data.barcodes] if data.barcodes else None,
            kind=data.kind,
            branch=data.branch,
            added_since=_added_since(data.added_since),
            needs_label=data.needs_label,
            all=data.all,
            start_at=data.start_at,
            symbology=data.symbology,
            format=data.format,
        )
        printed = await labels.print_labels(actor, now, settings, request)
        response = _file(printed.content, printed.media_type, printed.filename, "attachment")
        response.headers["X-Labels-Refused-Count"] = str(len(printed.refused))
        if printed.refused:
            response.headers["X-Labels-Refused"] = ",".join(
                quote(code, safe="") for code, _ in printed.refused[:50]
            )
        return response


class ReceiptController(Controller):
    path = "/api/loans"
    tags = ["circulation"]
    guards = [requires(Action.RECEIPT_PRINT)]

    @get(
        "/{loan_id:int}/receipt.pdf",
        media_type="application/pdf",
        responses=errors(401, 403, 404, 409, 422),
        description="Checkout receipt for an 80 mm thermal printer, in the patron's language.",
    )
    async def receipt_pdf(self, loan_id: Id, settings: SettingsDep) -> Response[bytes]:
        content, media_type = await receipts.loan_receipt(settings, loan_id, "pdf")
        return _file(content, media_type, f"receipt-{loan_id}.pdf", "inline")

    @get(
        "/{loan_id:int}/receipt.html",
        media_type="text/html",
        responses=errors(401, 403, 404, 409, 422),
        description="Printable checkout receipt (HTML), in the patron's language.",
    )
    async def receipt_html(self, loan_id: Id, settings: SettingsDep) -> Response[bytes]:
        content, media_type = await receipts.loan_receipt(settings, loan_id, "html")
        return _file(content, media_type, f"receipt-{loan_id}.html", "inline")
