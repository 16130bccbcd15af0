"""Library cards checked against the library's ILS over SIP2 (LENDING_PATRON_SOURCE).

`check_card` asks the ILS about a card (with the PIN for a resident login, without one for a
card scanned at the desk), and when the ILS says the card is good creates or refreshes the
local patron from what it sent (name, contact details, expiry, home branch, and a block built
from its status flags and fees) in one transaction with its audit event. It returns a typed
`CardCheck`; only the caller decides what an unanswered ILS means (a refused login, a warning
at the desk).

A short per-card cache (LENDING_PATRON_SOURCE_CACHE_SECONDS) spares the desk a round trip per
scan. It keeps only what a lookup without PIN returns: never a PIN, nor whether one was right,
so a PIN is always checked by the ILS itself.
"""

from __future__ import annotations

import codecs
import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ...circulation import LendingError
from ...circulation.cards import ils_block_reason, merge_ils_block
from ...circulation.codes import Code
from ...database import is_postgres, write_transaction
from ...settings import Settings, SettingsError
from ...sip2.client import PatronInfo, Sip2Endpoint, Sip2Unavailable, patron_information
from ...tables import Branch, Patron
from .._common import audit
from .._common.guards import unique_violation
from .._common.render import zone
from .._common.rows import Row
from ..actors import Actor

__all__ = [
    "CardCheck",
    "PatronSourceUnavailable",
    "Verdict",
    "check_card",
    "clear_cache",
    "enabled",
    "parse_source",
    "source_config",
]

log = logging.getLogger("lending.patron_source")

NAME = "LENDING_PATRON_SOURCE"
DEFAULT_PORT = 6001
ILS = Actor("ils", "system")  # the audit trail's actor when no one else is named
CACHE_SIZE = 10_000  # cards remembered at most (the oldest are forgotten first)


class PatronSourceUnavailable(LendingError):
    status = 503
    title = "ILS unavailable"
    default_code = Code.PATRON_SOURCE_UNAVAILABLE


# -- the URL -------------------------------------------------------------------------------

_OPTIONS = ("institution", "location", "tls", "verify", "cafile", "encoding", "terminal_password")
_EXAMPLE = "sip2://ACCOUNT:PASSWORD@HOST:PORT?institution=ID&location=LOC"


def _flag(value: str, option: str) -> bool:
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{NAME}: {option} must be 1 or 0, not {value!r}")


def parse_source(url: str, timeout: float = 5) -> Sip2Endpoint:
    """The endpoint LENDING_PATRON_SOURCE names; SettingsError (a sentence that never
    repeats the password) when it is not usable."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise SettingsError(
            f"{NAME} must look like {_EXAMPLE} (the port a number up to 65535; "
            "characters such as @ : / ? # in the account or password percent-encoded)"
        ) from None
    if parts.scheme not in ("sip2", "sip2s"):
        raise SettingsError(f"{NAME} must start with sip2:// (or sip2s:// for TLS)")
    if not parts.hostname:
        raise SettingsError(f"{NAME} names no host: it must look like {_EXAMPLE}")
    if parts.path not in ("", "/") or parts.fragment:
        raise SettingsError(
            f"{NAME} has a path or # after the host: percent-encode / ? # in the password"
        )
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - set(_OPTIONS))
    if unknown:
        raise SettingsError(
            f"{NAME}: unknown option {unknown[0]!r} (options: {', '.join(_OPTIONS)})"
        )
    repeated = sorted(k for k, v in query.items() if len(v) > 1)
    if repeated:
        raise SettingsError(f"{NAME}: option {repeated[0]!r} is given twice")
    options = {k: v[0] for k, v in query.items()}
    encoding = options.get("encoding", "cp850").strip() or "cp850"
    try:
        encoding = codecs.lookup(encoding).name
    except LookupError:
        raise SettingsError(f"{NAME}: unknown encoding {encoding!r} (utf-8 or cp850)") from None
    tls = parts.scheme == "sip2s" or _flag(options.get("tls", "0"), "tls")
    return Sip2Endpoint(
        host=parts.hostname,
        port=port or DEFAULT_PORT,
        account=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        location=options.get("location", ""),
        institution=options.get("institution", ""),
        terminal_password=options.get("terminal_password", ""),
        tls=tls,
        verify=_flag(options.get("verify", "1"), "verify"),
        cafile=options.get("cafile", ""),
        encoding=encoding,
        timeout=float(timeout),
    )


_ENDPOINTS: dict[tuple[str, float], Sip2Endpoint] = {}


def enabled(settings: Settings) -> bool:
    return bool(settings.patron_source)


def source_config(settings: Settings) -> Sip2Endpoint:
    """The settings' endpoint, parsed once per process (SettingsError when it is unusable: call
    it at startup to fail early)."""
    key = (settings.patron_source, float(settings.patron_source_timeout))
    endpoint = _ENDPOINTS.get(key)
    if endpoint is None:
        endpoint = _ENDPOINTS[key] = parse_source(*key)
    return endpoint


# -- the result ----------------------------------------------------------------------------


class Verdict(StrEnum):
    VALID = "valid"  # BL=Y (and CQ=Y when a PIN was checked)
    WRONG_PIN = "wrong_pin"  # a patron of the ILS, but the PIN was not confirmed (CQ not Y)
    NOT_A_PATRON = "not_a_patron"  # BL not Y: the ILS does not take this card
    UNAVAILABLE = "unavailable"  # the ILS did not answer (or is set up wrongly): see `reason`


@dataclass(frozen=True)
class CardCheck:
    card: str
    verdict: Verdict
    patron_id: int | None = None  # VALID: the local patron, created or refreshed
    created: bool = False  # VALID: the local patron was created by this check
    changed: tuple[str, ...] = ()  # VALID: the patron's columns this check changed
    cached: bool = False  # answered from the cache, without asking the ILS
    reason: str = ""  # UNAVAILABLE: why (for the log and staff; never a PIN or password)

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.VALID


# -- the cache -----------------------------------------------------------------------------

_CacheKey = tuple[str, int, str, str]
_CACHE: OrderedDict[_CacheKey, tuple[datetime, PatronInfo]] = OrderedDict()


def _cached(key: _CacheKey, now: datetime, seconds: int) -> PatronInfo | None:
    entry = _CACHE.get(key)
    if entry is None:
        return None
    at, info = entry
    if seconds <= 0 or not (at <= now < at + timedelta(seconds=seconds)):
        del _CACHE[key]
        return None
    return info


def _remember(key: _CacheKey, now: datetime, info: PatronInfo, seconds: int) -> None:
    if seconds <= 0:
        return
    _CACHE[key] = (now, info.without_pin())
    _CACHE.move_to_end(key)
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)


def clear_cache() -> None:
    _CACHE.clear()


# -- the check -----------------------------------------------------------------------------


async def check_card(
    card: str,
    pin: str | None,
    now: datetime,
    settings: Settings,
    *,
    actor: Actor | None = None,
) -> CardCheck:
    """Check `card` with the ILS: with `pin`, the ILS must confirm both (BL=Y and CQ=Y; a
    missing CQ is a failure), and the cache is not read; without one, BL=Y is enough and a
    fresh cached answer is used. A valid card's local patron is created or refreshed (audited
    as `actor`, default "ils")."""
    try:
        endpoint = source_config(settings)
    except SettingsError as exc:
        log.error("library cards cannot be checked: %s", exc)
        return CardCheck(card, Verdict.UNAVAILABLE, reason=str(exc))
    key = (endpoint.host, endpoint.port, endpoint.institution, card)
    seconds = settings.patron_source_cache_seconds
    info = _cached(key, now, seconds) if pin is None else None
    cached = info is not None
    if info is None:
        try:
            info = await patron_information(endpoint, card, pin, now, zone(settings.timezone))
        except Sip2Unavailable as exc:
            log.warning("card ending %s not checked with the ILS: %s", card[-4:], exc)
            return CardCheck(card, Verdict.UNAVAILABLE, reason=str(exc))
    if info.valid_patron is not True:
        _CACHE.pop(key, None)
        return CardCheck(card, Verdict.NOT_A_PATRON, cached=cached)
    if pin is not None and info.valid_pin is not True:
        return CardCheck(card, Verdict.WRONG_PIN)
    if not cached:
        _remember(key, now, info, seconds)
    patron_id, created, changed = await _refresh(info, card, now, actor or ILS)
    return CardCheck(card, Verdict.VALID, patron_id, created, changed, cached)


# -- the local patron ----------------------------------------------------------------------

_COLUMNS = (
    Patron.id,
    Patron.name,
    Patron.email,
    Patron.phone,
    Patron.branch,
    Patron.expires_on,
    Patron.blocked,
    Patron.block_reason,
)


def _email(value: str) -> str | None:
    """The first address in what the ILS sent that looks like one (some send several)."""
    for candidate in value.replace(",", " ").replace(";", " ").split():
        local, _, domain = candidate.partition("@")
        if local and "." in domain.strip(".") and len(candidate) <= 254:
            return candidate
    return None


async def _branch_id(code: str) -> int | None:
    """The local branch the ILS's home library code names (as is, or upper-cased), if any."""
    if not code:
        return None
    rows = await Branch.select(Branch.id, Branch.code).where(
        Branch.code.is_in(list({code, code.upper()}))
    )
    by_code = {row["code"]: row["id"] for row in rows}
    return by_code.get(code, by_code.get(code.upper()))


def _values(info: PatronInfo, row: Row | None, branch: int | None) -> Row:
    """The patron's columns as the ILS has them. What it leaves blank or out keeps the local
    value (staff may have added a phone for notices); a block staff set here stays."""
    values: Row = {}
    if info.name:
        values["name"] = info.name[:200]
    email = _email(info.email)
    if email:
        values["email"] = email
    if info.phone:
        values["phone"] = info.phone[:32]
    if branch is not None:
        values["branch"] = branch
    if info.expires_on is not None:
        values["expires_on"] = info.expires_on
    blocked, reason = merge_ils_block(
        bool(row and row["blocked"]),
        row["block_reason"] if row else None,
        ils_block_reason(info.status, info.fee_amount, info.fee_limit),
    )
    values["blocked"], values["block_reason"] = blocked, reason and reason[:500]
    if row is None:
        return values
    return {name: value for name, value in values.items() if row[name] != value}


async def _load(card: str, *, lock: bool = False) -> Row | None:
    query = Patron.select(*_COLUMNS).where(Patron.card_number == card)
    if lock and is_postgres():
        query = query.lock_rows()
    return await query.first()


async def _refresh(
    info: PatronInfo, card: str, now: datetime, actor: Actor
) -> tuple[int, bool, tuple[str, ...]]:
    """Create or update the local patron from `info`: (id, created, columns changed). Nothing
    is written (no transaction opened) when nothing changed, as on most cached scans."""
    branch = await _branch_id(info.home_library)
    row = await _load(card)
    if row is not None and not _values(info, row, branch):
        return row["id"], False, ()
    for attempt in (1, 2):
        try:
            async with write_transaction():
                return await _write(info, card, now, actor, branch)
        except Exception as exc:
            # Two first logins of one card at once: the second insert loses; update instead.
            if attempt == 2 or not unique_violation(exc):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


async def _write(
    info: PatronInfo, card: str, now: datetime, actor: Actor, branch: int | None
) -> tuple[int, bool, tuple[str, ...]]:
    row = await _load(card, lock=True)
    values = _values(info, row, branch)
    details: dict[str, Any] = {"created": row is None, "changed": sorted(values)}
    if values.get("block_reason"):
        details["block_reason"] = values["block_reason"]
    if row is None:
        values.setdefault("name", card)
        language = "es" if info.language == "008" else "en"  # SIP2 language 008: Spanish
        inserted = await Patron.insert(
            Patron(card_number=card, created_at=now, language=language, **values)
        ).returning(Patron.id)
        patron_id = inserted[0]["id"]
    elif values:
        patron_id = row["id"]
        await Patron.update(values).where(Patron.id == patron_id)
    else:
        return row["id"], False, ()
    await audit.record(actor, "patron_refreshed_from_ils", card, now, details, patron_card=card)
    return patron_id, row is None, tuple(sorted(values))
