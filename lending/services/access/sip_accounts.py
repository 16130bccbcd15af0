"""SIP2 accounts: each self-check kiosk or laptop locker logs in with its own name and password,
lends at its service point, and is the actor in the audit trail (`sip:<name>`)."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import datetime, timedelta

import msgspec

from ...circulation import Conflict, FieldError, Invalid, NotFound
from ...circulation.codes import Code
from ...database import write_transaction
from ...settings import Settings
from ...tables import SipAccount
from .._common import audit
from .._common.guards import duplicate_is
from ..actors import Actor
from ..library.service_points import point_by_code
from .auth import check_secret
from .passwords import hash_secret_async

__all__ = [
    "ENCODINGS",
    "SipAccountOut",
    "SipLogin",
    "add_sip_account",
    "kiosk_actor",
    "list_sip_accounts",
    "log_in_kiosk",
    "remove_sip_account",
]

ENCODINGS = ("cp850", "utf-8")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
KIOSK_ROLE = "kiosk"


class SipAccountOut(msgspec.Struct, kw_only=True):
    name: str
    service_point: str
    encoding: str
    active: bool
    created_at: datetime


class SipLogin(msgspec.Struct, kw_only=True, frozen=True):
    """A logged-in kiosk: who it is and where it lends."""

    name: str
    service_point: str
    timezone: str
    branch_code: str
    encoding: str


def kiosk_actor(name: str) -> Actor:
    return Actor(f"sip:{name}", KIOSK_ROLE)


def _valid(name: str, password: str, encoding: str) -> None:
    if not _NAME.match(name or ""):
        raise Invalid(FieldError("name", "1 to 64 letters, digits, '.', '_' or '-'"))
    if not 8 <= len(password or "") <= 128:
        raise Invalid(FieldError("password", "8 to 128 characters"))
    if encoding not in ENCODINGS:
        raise Invalid(FieldError("encoding", f"must be one of {', '.join(ENCODINGS)}"))


async def add_sip_account(
    actor: Actor, now: datetime, *, name: str, password: str, service_point: str,
    encoding: str = "cp850",
) -> SipAccountOut:  # fmt: skip
    _valid(name, password, encoding)
    point = await point_by_code(service_point, field="service_point")
    digest = await hash_secret_async(password)
    duplicate = Conflict(f"A SIP account named {name!r} already exists.", Code.DUPLICATE_USERNAME)
    async with write_transaction():
        if await SipAccount.exists().where(SipAccount.name == name):
            raise duplicate
        with duplicate_is(duplicate):
            await SipAccount.insert(
                SipAccount(
                    name=name,
                    password_hash=digest,
                    service_point=point.id,
                    encoding=encoding,
                    active=True,
                    created_at=now,
                )
            )
        await audit.record(
            actor,
            "sip_account_added",
            name,
            now,
            {"service_point": point.code, "encoding": encoding},
        )
    return SipAccountOut(
        name=name, service_point=point.code, encoding=encoding, active=True, created_at=now
    )


async def list_sip_accounts() -> list[SipAccountOut]:
    rows = await SipAccount.select(
        SipAccount.name,
        SipAccount.service_point.code.as_alias("point"),
        SipAccount.encoding,
        SipAccount.active,
        SipAccount.created_at,
    ).order_by(SipAccount.name)
    return [
        SipAccountOut(
            name=r["name"],
            service_point=r["point"],
            encoding=r["encoding"],
            active=r["active"],
            created_at=r["created_at"],
        )
        for r in rows
    ]


async def remove_sip_account(actor: Actor, now: datetime, name: str) -> None:
    async with write_transaction():
        deleted = await SipAccount.delete().where(SipAccount.name == name).returning(SipAccount.id)
        if not deleted:
            raise NotFound(f"No SIP account named {name!r}.", Code.STAFF_NOT_FOUND)
        await audit.record(actor, "sip_account_removed", name, now, {})


# Logins verified lately, per process: (name, SHA-256 of the password) -> (the stored hash it
# matched, until when). A kiosk reconnects often and a locker may open many sessions at once;
# the slow hash and the throttle run once per account and password, not once per connection.
# Only successes are kept, and only while the stored hash is unchanged.
_VERIFIED: dict[tuple[str, str], tuple[str, datetime]] = {}
_VERIFYING: dict[str, asyncio.Lock] = {}
REMEMBER = timedelta(minutes=15)


async def log_in_kiosk(
    name: str, password: str, now: datetime, settings: Settings, *, client: str = ""
) -> SipLogin | None:
    """The kiosk for a SIP login (93), or None: a wrong name or password, an inactive account
    (with the same throttling as staff logins: TooManyAttempts when over the limit)."""
    if not _NAME.match(name or "") or len(password or "") > 128:
        return None
    lock = _VERIFYING.setdefault(name, asyncio.Lock())
    async with lock:  # concurrent logins of one account: the first checks, the rest reuse it
        return await _log_in(name, password, now, settings, client)


async def _log_in(
    name: str, password: str, now: datetime, settings: Settings, client: str
) -> SipLogin | None:
    row = (
        await SipAccount.select(
            SipAccount.password_hash,
            SipAccount.active,
            SipAccount.encoding,
            SipAccount.service_point.code.as_alias("point"),
            SipAccount.service_point.timezone.as_alias("point_timezone"),
            SipAccount.service_point.branch.code.as_alias("branch_code"),
            SipAccount.service_point.branch.timezone.as_alias("branch_timezone"),
        )
        .where(SipAccount.name == name)
        .first()
    )
    key = (name, hashlib.sha256(password.encode()).hexdigest())
    remembered = _VERIFIED.get(key)
    ok = (
        row is not None
        and remembered is not None
        and remembered[0] == row["password_hash"]
        and remembered[1] > now
    )
    if not ok:
        ok = await check_secret(
            "sip:" + name, row["password_hash"] if row else None, password, now, settings, client
        )
        if ok and row is not None:
            _VERIFIED[key] = (row["password_hash"], now + REMEMBER)
    if not ok or row is None or not row["active"]:
        return None
    return SipLogin(
        name=name,
        service_point=row["point"],
        timezone=row["point_timezone"] or row["branch_timezone"],
        branch_code=row["branch_code"],
        encoding=row["encoding"],
    )
