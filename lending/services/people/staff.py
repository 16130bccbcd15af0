"""Staff accounts (admin, desk, partner: tied to one partner organisation)."""

from __future__ import annotations

from datetime import datetime

from ...circulation import Conflict, FieldError, Invalid, NotFound
from ...circulation.codes import Code
from ...database import write_transaction
from ...schemas.base import StaffOut
from ...tables import LoginAttempt, StaffUser
from .._common import audit
from .._common.guards import duplicate_is
from .._common.rows import Row
from ..access.auth import revoke_all
from ..access.passwords import hash_secret_async
from ..actors import STAFF_ROLES, Actor

__all__ = ["add_staff", "list_staff", "reset_staff_password", "set_staff_active"]

MIN_PASSWORD = 8


def valid_username(username: str) -> str:
    if not (1 <= len(username) <= 64) or not all(c.isalnum() or c in "._-@" for c in username):
        raise Invalid(
            FieldError("username", "1-64 letters, digits, dots, dashes, underscores or @")
        )
    return username


def valid_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid(FieldError("password", f"at least {MIN_PASSWORD} characters"))
    if len(password) > 1024:
        raise Invalid(FieldError("password", "at most 1024 characters"))
    return password


async def add_staff(
    actor: Actor,
    now: datetime,
    *,
    username: str,
    role: str,
    password: str,
    partner: str | None = None,
) -> StaffOut:
    """Add an account. A `partner` account names its partner organisation (`partner`, a code)
    and works only with that partner's programs; other roles take none."""
    from ..programs.partners import partner_by_code

    valid_username(username)
    if role not in STAFF_ROLES:
        raise Invalid(FieldError("role", "must be admin, desk or partner"))
    if (role == "partner") != (partner is not None):
        message = "a partner account names its partner" if partner is None else "only for partner"
        raise Invalid(FieldError("partner", message))
    valid_password(password)
    partner_id = None
    if partner is not None:
        partner_id = (await partner_by_code(partner, field="partner")).id
    digest = await hash_secret_async(password)
    async with write_transaction():
        if await StaffUser.exists().where(StaffUser.username == username):
            raise Conflict(f"Staff user {username!r} already exists.", Code.DUPLICATE_USERNAME)
        with duplicate_is(
            Conflict(f"Staff user {username!r} already exists.", Code.DUPLICATE_USERNAME)
        ):
            await StaffUser.insert(
                StaffUser(
                    username=username,
                    password_hash=digest,
                    role=role,
                    created_at=now,
                    partner=partner_id,
                )
            )
        details = {"role": role, **({"partner": partner} if partner else {})}
        await audit.record(actor, "staff_added", username, now, details)
    return StaffOut(username=username, role=role, active=True, partner=partner)


async def list_staff() -> list[StaffOut]:
    rows = await StaffUser.select(
        StaffUser.username,
        StaffUser.role,
        StaffUser.active,
        StaffUser.partner.code.as_alias("partner"),
    ).order_by(StaffUser.username)
    return [
        StaffOut(username=r["username"], role=r["role"], active=r["active"], partner=r["partner"])
        for r in rows
    ]


async def _staff_row(username: str) -> Row:
    row = (
        await StaffUser.select(
            StaffUser.id,
            StaffUser.role,
            StaffUser.active,
            StaffUser.partner.code.as_alias("partner"),
        )
        .where(StaffUser.username == username)
        .first()
    )
    if row is None:
        raise NotFound(f"No staff account {username!r}.", Code.STAFF_NOT_FOUND)
    return row


async def set_staff_active(actor: Actor, now: datetime, username: str, active: bool) -> StaffOut:
    """Deactivate (no logins; its tokens stop working at once) or reactivate an account. An admin
    cannot deactivate their own account, so there is always someone left to undo it."""
    async with write_transaction():
        row = await _staff_row(username)
        if not active and row["id"] == actor.staff_id:
            raise Conflict("You cannot deactivate your own account.", Code.CANNOT_DEACTIVATE_SELF)
        if row["active"] != active:
            await StaffUser.update({StaffUser.active: active}).where(StaffUser.id == row["id"])
            if not active:
                await revoke_all(staff_id=row["id"])
            action = "staff_reactivated" if active else "staff_deactivated"
            await audit.record(actor, action, username, now, {"role": row["role"]})
    return StaffOut(username=username, role=row["role"], active=active, partner=row["partner"])


async def reset_staff_password(
    actor: Actor, now: datetime, username: str, password: str, *, token: str | None = None
) -> StaffOut:
    """Set a new password. The account's other sessions end and its failed-login count is
    cleared. `token` is the one the request came with: an admin resetting their own password
    keeps that session, and only that one."""
    digest = await hash_secret_async(valid_password(password))
    async with write_transaction():
        row = await _staff_row(username)
        await StaffUser.update({StaffUser.password_hash: digest}).where(StaffUser.id == row["id"])
        await revoke_all(staff_id=row["id"], keep=token if row["id"] == actor.staff_id else None)
        await LoginAttempt.delete().where(LoginAttempt.account == "staff:" + username)
        await audit.record(actor, "staff_password_reset", username, now, {})
    return StaffOut(
        username=username, role=row["role"], active=row["active"], partner=row["partner"]
    )
