"""Rendering patron notices from Jinja2 templates (templates/<language>/<kind>.j2).

Each kind's template sets `subject`, `topic` (a few words for a bundle's subject) and `short` (one
line for SMS) and renders the body paragraph. `message.j2` wraps one or more notices into one
email for a patron, `sms.j2` into one text message. Dates are formatted here, without locale
support from the system, so output is the same on every machine."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..circulation.policy import is_cellular
from ..words import DAY_NAMES, MONTH_NAMES

__all__ = [
    "KINDS_WITH_TEMPLATES",
    "LANGUAGES",
    "DeviceInfo",
    "Library",
    "NoticeFacts",
    "Rendered",
    "bundle_subject",
    "format_day",
    "format_money",
    "format_when",
    "render_email",
    "render_notice",
    "render_sms",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGES = ("en", "es")
KINDS_WITH_TEMPLATES = (
    "due_soon",
    "overdue",
    "lost",
    "renewed",
    "hold_ready",
    "hold_moved",
    "hold_expired",
)
# Kinds about a loan the patron still has: the message says how to renew.
RENEWABLE_KINDS = frozenset({"due_soon", "overdue", "renewed"})

_DAYS = DAY_NAMES
_MONTHS = MONTH_NAMES
_KIND_LABELS = {
    "en": {"hotspot": "hotspot", "laptop": "laptop", "tablet": "tablet"},
    "es": {"hotspot": "hotspot", "laptop": "computadora portátil", "tablet": "tableta"},
}


def language_of(value: str | None) -> str:
    return value if value in LANGUAGES else "en"


def _local(moment: datetime, timezone: str) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(timezone))


def format_day(moment: datetime, timezone: str, language: str, *, year: bool = False) -> str:
    """English "Tuesday, December 22"; Spanish "martes 22 de diciembre"; with `year`,
    "Tuesday, December 22, 2026" and "martes 22 de diciembre de 2026" (for papers kept)."""
    local = _local(moment, timezone)
    language = language_of(language)
    day = _DAYS[language][local.weekday()]
    month = _MONTHS[language][local.month - 1]
    if language == "es":
        return f"{day} {local.day} de {month}" + (f" de {local.year}" if year else "")
    return f"{day}, {month} {local.day}" + (f", {local.year}" if year else "")


def format_when(moment: datetime, timezone: str, language: str, *, year: bool = False) -> str:
    """English "Tuesday, December 22 at 11:59 PM"; Spanish "martes 22 de diciembre a las 23:59"."""
    local = _local(moment, timezone)
    language = language_of(language)
    day = format_day(moment, timezone, language, year=year)
    if language == "es":
        return f"{day} a las {local.hour:02d}:{local.minute:02d}"
    hour = local.hour % 12 or 12
    half = "AM" if local.hour < 12 else "PM"
    return f"{day} at {hour}:{local.minute:02d} {half}"


def format_money(cents: int | None) -> str:
    cents = cents or 0
    return f"${cents // 100:,}.{cents % 100:02d}"


def kind_label(kind: str | None, language: str) -> str:
    if not kind:
        return "device" if language_of(language) == "en" else "equipo"
    return _KIND_LABELS[language_of(language)].get(kind, kind)


@dataclass(frozen=True)
class Library:
    name: str
    phone: str = ""
    renew_url: str = ""

    @classmethod
    def from_settings(cls, settings: Any) -> Library:
        return cls(settings.library_name, settings.library_phone, settings.renew_url)


@dataclass(frozen=True)
class DeviceInfo:
    kind: str
    model: str
    barcode: str


@dataclass
class NoticeFacts:
    """What a notice's template needs to know, loaded by the delivery service."""

    kind: str
    language: str
    timezone: str
    patron_name: str = ""
    stage: str = ""
    device: DeviceInfo | None = None
    loan_kind: str | None = None
    due_at: datetime | None = None
    renewals: int = 0
    max_renewals: int = 0
    suspend_after_days: int | None = None  # hotspots: days late before data service stops
    lost_after_days: int | None = None
    replacement_cost_cents: int | None = None
    ready_until: datetime | None = None
    branch: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rendered:
    kind: str
    subject: str
    topic: str
    short: str
    body: str


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=StrictUndefined,
    )


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _context(facts: NoticeFacts, library: Library, now: datetime) -> dict[str, Any]:
    language = language_of(facts.language)
    tz = facts.timezone

    def when(moment: datetime | None) -> str:
        return format_when(moment, tz, language) if moment else ""

    label = kind_label(facts.device.kind if facts.device else facts.loan_kind, language)
    device = {
        "label": label,
        "model": facts.device.model if facts.device else "",
        "barcode": facts.device.barcode if facts.device else "",
    }
    days_late = 0
    if facts.due_at is not None:
        # Whole days since the due moment, as the overdue stages count them.
        days_late = max(0, (now - facts.due_at) // timedelta(days=1))
    suspend_at = suspended = None
    kind = facts.loan_kind or (facts.device.kind if facts.device else "")
    if is_cellular(kind) and facts.due_at is not None and facts.suspend_after_days is not None:
        moment = facts.due_at + timedelta(days=facts.suspend_after_days)
        suspend_at, suspended = when(moment), moment <= now
    lost_at = None
    if facts.due_at is not None and facts.lost_after_days is not None:
        lost_at = when(facts.due_at + timedelta(days=facts.lost_after_days))
    return {
        "kind": facts.kind,
        "stage": facts.stage,
        "patron": {"name": facts.patron_name},
        "device": device,
        "due": when(facts.due_at),
        "days_late": days_late,
        "renewals_left": max(0, facts.max_renewals - facts.renewals),
        "suspend_at": suspend_at,
        "suspend_after_days": facts.suspend_after_days,
        "suspended": bool(suspended),
        "lost_at": lost_at,
        "replacement_cost": (
            format_money(facts.replacement_cost_cents) if facts.replacement_cost_cents else ""
        ),
        "ready_until": when(facts.ready_until),
        "branch": facts.branch,
        "library": library,
        **facts.extra,
    }


def render_notice(facts: NoticeFacts, library: Library, now: datetime) -> Rendered:
    """One notice's subject, topic, SMS line and body, in the notice's language."""
    language = language_of(facts.language)
    kind = facts.kind if facts.kind in KINDS_WITH_TEMPLATES else "generic"
    template = _environment().get_template(f"{language}/{kind}.j2")
    module = template.make_module(_context(facts, library, now))
    return Rendered(
        kind=facts.kind,
        subject=_tidy(str(module.subject)),
        topic=_tidy(str(module.topic)),
        short=_tidy(str(module.short)),
        body=_tidy(str(module)),
    )


def bundle_subject(rendered: list[Rendered], library: Library, language: str) -> str:
    """The subject of a message carrying `rendered`: the notice's own when alone, else a count
    and the topics."""
    if len(rendered) == 1:
        return rendered[0].subject
    template = _environment().get_template(f"{language_of(language)}/subject.j2")
    return _tidy(template.render(notices=rendered, library=library, count=len(rendered)))


def render_email(
    rendered: list[Rendered], library: Library, language: str, patron_name: str
) -> tuple[str, str]:
    """One email (subject, body) carrying every notice in `rendered`."""
    language = language_of(language)
    template = _environment().get_template(f"{language}/message.j2")
    body = template.render(
        notices=rendered,
        library=library,
        patron={"name": patron_name},
        renew_hint=any(r.kind in RENEWABLE_KINDS for r in rendered),
    )
    return bundle_subject(rendered, library, language), _tidy(body)


def render_sms(rendered: list[Rendered], library: Library, language: str) -> str:
    """One text message carrying every notice in `rendered`."""
    template = _environment().get_template(f"{language_of(language)}/sms.j2")
    body = template.render(
        notices=rendered,
        library=library,
        renew_hint=any(r.kind in RENEWABLE_KINDS for r in rendered),
    )
    return " ".join(_tidy(body).split())
