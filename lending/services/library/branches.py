"""Branches and their closed dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...circulation import BranchCalendar, Conflict, FieldError, Invalid, NotFound
from ...circulation.codes import Code
from ...database import write_transaction
from ...tables import Branch, Closure
from .._common import audit
from .._common.guards import duplicate_is
from .._common.paging import Page, page_of
from ..actors import Actor

__all__ = [
    "add_closure",
    "branch_by_code",
    "calendar_for",
    "create_branch",
    "get_branch",
    "list_branches",
    "remove_closure",
    "valid_timezone",
]


def valid_timezone(name: str, field: str = "timezone") -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(FieldError(field, f"{name!r} is not an IANA time zone name")) from None
    return name


async def branch_by_code(code: str, *, field: str | None = None) -> dict[str, Any]:
    """The branch row; NotFound (404), or Invalid (422) on `field` when it came in a body."""
    row = await Branch.select().where(Branch.code == code).first()
    if row is None:
        if field:
            raise Invalid(FieldError(field, f"no branch with code {code!r}"))
        raise NotFound(f"No branch with code {code!r}.", Code.BRANCH_NOT_FOUND)
    return row


def _branch(row: dict[str, Any], closures: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out = {"code": row["code"], "name": row["name"], "timezone": row["timezone"]}
    if closures is not None:
        out["closures"] = [{"date": c["date"].isoformat(), "reason": c["reason"]} for c in closures]
    return out


async def create_branch(
    actor: Actor, now: datetime, *, code: str, name: str, timezone: str
) -> dict[str, Any]:
    valid_timezone(timezone)
    async with write_transaction():
        if await Branch.exists().where(Branch.code == code):
            raise Conflict(f"A branch with code {code!r} already exists.", Code.DUPLICATE_BRANCH)
        with duplicate_is(
            Conflict(f"A branch with code {code!r} already exists.", Code.DUPLICATE_BRANCH)
        ):
            await Branch.insert(Branch(code=code, name=name, timezone=timezone, created_at=now))
        await audit.record(actor, "branch_created", code, now, {"name": name, "timezone": timezone})
    return {"code": code, "name": name, "timezone": timezone, "closures": []}


async def list_branches(limit: int = 50, offset: int = 0) -> Page:
    rows = await Branch.select().order_by(Branch.code).limit(limit).offset(offset)
    ids = [r["id"] for r in rows]
    closures: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        for c in await Closure.select().where(Closure.branch.is_in(ids)).order_by(Closure.date):
            closures[c["branch"]].append(c)
    return page_of([_branch(r, closures[r["id"]]) for r in rows], await Branch.count())


async def add_closure(
    actor: Actor, now: datetime, *, code: str, day: date, reason: str
) -> dict[str, Any]:
    async with write_transaction():
        branch = await branch_by_code(code)
        exists = await Closure.exists().where(
            (Closure.branch == branch["id"]) & (Closure.date == day)
        )
        if exists:
            raise Conflict(
                f"Branch {code} is already closed on {day.isoformat()}.", Code.DUPLICATE_CLOSURE
            )
        await Closure.insert(Closure(branch=branch["id"], date=day, reason=reason))
        await audit.record(
            actor,
            "branch_closed_date_added",
            code,
            now,
            {"date": day.isoformat(), "reason": reason},
        )
    return {"branch": code, "date": day.isoformat(), "reason": reason}


async def get_branch(code: str) -> dict[str, Any]:
    """The branch with all its closed dates, oldest first."""
    row = await branch_by_code(code)
    closures = await Closure.select().where(Closure.branch == row["id"]).order_by(Closure.date)
    return _branch(row, closures)


async def remove_closure(actor: Actor, now: datetime, *, code: str, day: date) -> dict[str, Any]:
    """The branch opens again on `day`. Due dates already set stay as they are."""
    async with write_transaction():
        branch = await branch_by_code(code)
        condition = (Closure.branch == branch["id"]) & (Closure.date == day)
        row = await Closure.select(Closure.reason).where(condition).first()
        if row is None:
            raise NotFound(
                f"Branch {code} is not closed on {day.isoformat()}.", Code.CLOSURE_NOT_FOUND
            )
        await Closure.delete().where(condition)
        await audit.record(
            actor,
            "branch_closed_date_removed",
            code,
            now,
            {"date": day.isoformat(), "reason": row["reason"]},
        )
    return {"branch": code, "date": day.isoformat(), "reason": row["reason"]}


async def calendar_for(branch_id: int, timezone: str, now: datetime) -> BranchCalendar:
    """The branch's zone and its closed dates from yesterday on (enough for any due date)."""
    since = (now - timedelta(days=2)).date()
    rows = await Closure.select(Closure.date).where(
        (Closure.branch == branch_id) & (Closure.date >= since)
    )
    return BranchCalendar.of(timezone, (r["date"] for r in rows))
