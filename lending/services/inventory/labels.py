"""Label printing: choose devices, render a sheet, roll or single label, and keep the reprint
queue (`needs_label`).

Printing a sheet or roll (PDF or ZPL) clears `needs_label` for the printed devices, in one
transaction with one `label_printed` audit event per device, and only after the whole file has
rendered: a refusal or a failure leaves every flag as it was. Single labels (SVG, PNG) are
previews and reprints; they change nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from msgspec import Struct

from ...circulation import DeviceStatus, FieldError, Invalid, NotFound, normalize_code
from ...circulation.codes import Code
from ...database import write_transaction
from ...printing import (
    SYMBOLOGIES,
    LabelContent,
    check_codes,
    check_label,
    check_start,
    label_png,
    label_problem,
    label_svg,
    labels_pdf,
    labels_zpl,
    load_template,
    pages_needed,
    refuse,
)
from ...printing.templates import LabelTemplate
from ...settings import Settings
from ...tables import Device
from .._common import audit
from .._common.render import zone
from .._common.rows import Row
from ..actors import Actor
from ..library.branches import branch_by_code
from ..library.policies import valid_kind

__all__ = [
    "DEFAULT_TEMPLATE",
    "MAX_LABELS",
    "LabelDevice",
    "LabelFile",
    "LabelRequest",
    "SomeLabelsRefused",
    "device_label",
    "mark_printed",
    "print_labels",
    "render_labels",
    "select_devices",
]

DEFAULT_TEMPLATE = "avery-5160"
MAX_LABELS = 10_000
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "zpl": "text/plain",
    "svg": "image/svg+xml",
    "png": "image/png",
}
Progress = Callable[[int, int], None]

_COLUMNS = (
    Device.id,
    Device.barcode,
    Device.kind,
    Device.model,
    Device.wifi_name,
    Device.wifi_password,
)


class LabelDevice(Struct, kw_only=True, frozen=True):
    """A device as its label shows it."""

    id: int
    barcode: str
    kind: str
    model: str
    wifi_name: str | None
    wifi_password: str | None


def _device(row: dict[str, Any]) -> LabelDevice:
    return LabelDevice(
        id=row["id"],
        barcode=row["barcode"],
        kind=row["kind"],
        model=row["model"],
        wifi_name=row["wifi_name"],
        wifi_password=row["wifi_password"],
    )


@dataclass(frozen=True)
class LabelRequest:
    """Which devices (barcodes, or filters, or all) on which stock, from which position."""

    template: str = DEFAULT_TEMPLATE
    barcodes: list[str] | None = None
    kind: str | None = None
    branch: str | None = None
    added_since: date | datetime | None = None
    needs_label: bool | None = None
    all: bool = False
    start_at: int = 1
    symbology: str | None = None
    format: str | None = None  # "pdf" or "zpl"; default: what the template prints
    # True: print the devices that can be printed and list the others (`LabelFile.refused`);
    # False: refuse the whole batch when any cannot (`SomeLabelsRefused`), to ask first.
    partial: bool = True


class SomeLabelsRefused(Invalid):
    """Some devices of a batch cannot be labelled; nothing was printed (asked with
    `partial=False`). `refused` is (barcode, reason) for each; `printable` counts the others."""

    default_code = Code.LABELS_REFUSED

    def __init__(self, refused: list[tuple[str, str]], printable: int) -> None:
        self.refused = refused
        self.printable = printable
        shown = [FieldError("barcodes", reason) for _, reason in refused[:10]]
        more = f" (and {len(refused) - 10} more)" if len(refused) > 10 else ""
        super().__init__(
            shown,
            f"{len(refused)} device(s) cannot be labelled{more}; {printable} can be printed.",
        )


@dataclass(frozen=True)
class LabelFile:
    content: bytes
    media_type: str
    filename: str
    format: str
    template: str
    symbology: str
    barcodes: tuple[str, ...]
    pages: int
    extra: dict[str, Any] = field(default_factory=dict)
    refused: tuple[tuple[str, str], ...] = ()  # (barcode, reason) of devices left out


def _template(settings: Settings, name: str) -> LabelTemplate:
    return load_template(name, settings.labels_dir or None)


def _symbology(settings: Settings, symbology: str | None) -> str:
    chosen = symbology or settings.barcode_symbology
    if chosen not in SYMBOLOGIES:
        raise refuse(
            "symbology", f"must be one of {', '.join(SYMBOLOGIES)}", Code.UNKNOWN_SYMBOLOGY
        )
    return chosen


def _content(settings: Settings, device: LabelDevice) -> LabelContent:
    return LabelContent(
        code=device.barcode,
        kind=device.kind,
        model=device.model,
        library=settings.library_name,
        wifi_name=device.wifi_name,
        wifi_password=device.wifi_password,
        support_phone=settings.support_phone or settings.library_phone,
    )


def _since(value: date | datetime, timezone: str) -> datetime:
    """A date means from midnight of that day in the library's zone."""
    try:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                return value.replace(tzinfo=zone(timezone))
            return value
        return datetime.combine(value, time(), tzinfo=zone(timezone))
    except (OverflowError, ValueError):
        raise Invalid(FieldError("added_since", "not a usable date")) from None


async def _by_barcodes(raw: list[str]) -> list[Row]:
    codes = [normalize_code(code) for code in raw]
    rows: dict[str, dict[str, Any]] = {}
    unique = list(dict.fromkeys(c for c in codes if c))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        for row in await Device.select(*_COLUMNS).where(Device.barcode.is_in(chunk)):
            rows[row["barcode"]] = row
    missing = [c for c in codes if c not in rows]
    if missing:
        shown = ", ".join(repr(c) for c in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise NotFound(f"No device with barcode {shown}{more}.", Code.DEVICE_NOT_FOUND)
    return [rows[c] for c in codes]  # in the order given; a code given twice prints twice


async def _by_filters(request: LabelRequest, timezone: str) -> list[Row]:
    conditions: list[Any] = [Device.status != DeviceStatus.RETIRED]
    if request.kind:
        conditions.append(Device.kind == valid_kind(request.kind))
    if request.branch:
        branch = await branch_by_code(request.branch, field="branch")
        conditions.append(Device.branch == branch.id)
    if request.added_since is not None:
        conditions.append(Device.created_at >= _since(request.added_since, timezone))
    if request.needs_label is not None:
        conditions.append(Device.needs_label == request.needs_label)
    query = Device.select(*_COLUMNS).where(*conditions).order_by(Device.barcode)
    return await query.limit(MAX_LABELS + 1)


async def select_devices(request: LabelRequest, timezone: str) -> list[LabelDevice]:
    """The devices the request chooses, in order (a barcode given twice is there twice)."""
    filtered = (
        request.kind or request.branch or request.added_since is not None
    ) or request.needs_label is not None
    if request.barcodes and (filtered or request.all):
        raise Invalid(FieldError("barcodes", "give barcodes or filters, not both"))
    if request.barcodes:
        rows = await _by_barcodes(request.barcodes)
    elif filtered or request.all:
        rows = await _by_filters(request, timezone)
    else:
        raise refuse(
            "barcodes",
            "choose the devices: barcodes, a filter (kind, branch, added_since, needs_label) "
            "or all",
            Code.NO_DEVICES_SELECTED,
        )
    if not rows:
        raise refuse("barcodes", "no device matches this selection", Code.NO_DEVICES_SELECTED)
    if len(rows) > MAX_LABELS:
        raise refuse(
            "barcodes",
            f"at most {MAX_LABELS} labels at a time; narrow the selection",
            Code.TOO_MANY_LABELS,
        )
    return [_device(row) for row in rows]


async def render_labels(
    settings: Settings,
    now: datetime,
    request: LabelRequest,
    progress: Progress | None = None,
) -> LabelFile:
    """Render the whole file (nothing is changed): refusals come before any output."""
    template = _template(settings, request.template)
    symbology = _symbology(settings, request.symbology)
    fmt = request.format or template.output
    if fmt not in ("pdf", "zpl"):
        raise refuse("format", "must be pdf or zpl", Code.FORMAT_NOT_SUPPORTED)
    if fmt != template.output:
        raise refuse(
            "format",
            f"the {template.name} template prints {template.output.upper()}, not {fmt.upper()}",
            Code.FORMAT_NOT_SUPPORTED,
        )
    check_start(template, request.start_at)
    devices = await select_devices(request, settings.timezone)
    contents = [_content(settings, device) for device in devices]
    labels, refused = _printable(template, contents, symbology)
    if not labels:  # nothing to print: refuse as a single label would be
        check_codes([device.barcode for device in devices], symbology)
        check_label(template, contents[0], symbology)
    if refused and not request.partial:
        raise SomeLabelsRefused(refused, len(labels))
    if fmt == "pdf":
        title = f"{settings.library_name} labels ({template.title})"
        content = await asyncio.to_thread(
            labels_pdf,
            template,
            labels,
            symbology,
            start_at=request.start_at,
            title=title,
            progress=progress,
        )
    else:
        content = await asyncio.to_thread(
            labels_zpl, template, labels, symbology, start_at=request.start_at, progress=progress
        )
    local = now.astimezone(zone(settings.timezone))
    return LabelFile(
        content=content,
        media_type=MEDIA_TYPES[fmt],
        filename=f"labels-{template.name}-{local:%Y%m%d-%H%M%S}.{fmt}",
        format=fmt,
        template=template.name,
        symbology=symbology,
        barcodes=tuple(label.code for label in labels),
        pages=pages_needed(template, len(labels), request.start_at),
        refused=tuple(refused),
    )


def _printable(
    template: LabelTemplate, labels: list[LabelContent], symbology: str
) -> tuple[list[LabelContent], list[tuple[str, str]]]:
    """The labels that can be printed, and (barcode, reason) for those that cannot."""
    good, refused = [], []
    for label in labels:
        problem = label_problem(template, label, symbology)
        if problem is None:
            good.append(label)
        else:
            refused.append((label.code, problem))
    return good, refused


async def mark_printed(actor: Actor, now: datetime, printed: LabelFile) -> int:
    """Clear `needs_label` for the printed devices and record one event each; returns how many
    devices still carry the barcode they were printed with (a device re-barcoded meanwhile keeps
    its flag)."""
    barcodes = list(dict.fromkeys(printed.barcodes))
    details = {
        "template": printed.template,
        "symbology": printed.symbology,
        "format": printed.format,
    }
    cleared = 0
    async with write_transaction():
        for start in range(0, len(barcodes), 500):
            chunk = barcodes[start : start + 500]
            rows = await Device.select(Device.barcode).where(Device.barcode.is_in(chunk))
            await Device.update({Device.needs_label: False, Device.updated_at: now}).where(
                Device.barcode.is_in(chunk)
            )
            cleared += len(rows)
        await audit.record_many(actor, "label_printed", barcodes, now, details)
    return cleared


async def print_labels(
    actor: Actor,
    now: datetime,
    settings: Settings,
    request: LabelRequest,
    progress: Progress | None = None,
) -> LabelFile:
    """Render, then clear the printed devices' `needs_label` (the API and admin pages)."""
    printed = await render_labels(settings, now, request, progress)
    await mark_printed(actor, now, printed)
    return printed


async def device_label(
    settings: Settings,
    barcode: str,
    *,
    fmt: str,
    template: str | None = None,
    symbology: str | None = None,
) -> tuple[bytes, str]:
    """One device's label as SVG or PNG (read-only: `needs_label` stays as it is)."""
    stock = _template(settings, template or DEFAULT_TEMPLATE)
    chosen = _symbology(settings, symbology)
    rows = await Device.select(*_COLUMNS).where(Device.barcode == barcode)
    if not rows:
        raise NotFound(f"No device with barcode {barcode!r}.", Code.DEVICE_NOT_FOUND)
    content = _content(settings, _device(rows[0]))
    if fmt == "svg":
        return label_svg(stock, content, chosen), MEDIA_TYPES["svg"]
    return label_png(stock, content, chosen), MEDIA_TYPES["png"]
