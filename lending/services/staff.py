"""Staff accounts (admin, desk)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..circulation import Conflict, FieldError, Invalid
from ..database import write_transaction
from ..tables import StaffUser
from . import audit
from .actors import STAFF_ROLES, Actor
from .guards import unique_violation
from .passwords import hash_secret

__all__ = ["add_staff", "list_staff"]

MIN_PASSWORD = 8


def valid_username(username: str) -> str:
    if not (1 <= len(username) <= 64) or not all(c.isalnum() or c in "._-@" for c in username):
        raise Invalid(
            FieldError("username", "1-64 letters, digits, dots, dashes, underscores or @")
        )
    return username


async def add_staff(
    actor: Actor, now: datetime, *, username: str, role: str, password: str
) -> dict[str, Any]:
    valid_username(username)
    if role not in STAFF_ROLES:
        raise Invalid(FieldError("role", "must be admin or desk"))
    if len(password) < MIN_PASSWORD:
        raise Invalid(FieldError("password", f"at least {MIN_PASSWORD} characters"))
    if len(password) > 1024:
        raise Invalid(FieldError("password", "at most 1024 characters"))
    digest = hash_secret(password)
    async with write_transaction():
        if await StaffUser.exists().where(StaffUser.username == username):
            raise Conflict(f"Staff user {username!r} already exists.", "duplicate_username")
        try:
            await StaffUser.insert(
                StaffUser(username=username, password_hash=digest, role=role, created_at=now)
            )
        except Exception as exc:
            if unique_violation(exc):
                raise Conflict(
                    f"Staff user {username!r} already exists.", "duplicate_username"
                ) from None
            raise
        await audit.record(actor, "staff_added", username, now, {"role": role})
    return {"username": username, "role": role, "active": True}


async def list_staff() -> list[dict[str, Any]]:
    rows = await StaffUser.select(StaffUser.username, StaffUser.role, StaffUser.active).order_by(
        StaffUser.username
    )
    return [dict(r) for r in rows]
