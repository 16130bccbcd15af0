"""Branches and their closed dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from msgspec import Struct

from ...circulation import BranchCalendar, Conflict, FieldError, Invalid, NotFound
from ...circulation.codes import Code
from ...circulation.schedules import ServicePointType
from ...database import write_transaction
from ...schemas.base import BranchClosureOut, BranchList, BranchOut, ClosureOut
from ...tables import Branch, Closure, ServicePoint
from .._common import audit
from .._common.guards import duplicate_is
from ..actors import Actor

__all__ = [
    "BranchRecord",
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


class BranchRecord(Struct, kw_only=True, frozen=True):
    """A branch as other services need it: its id for joins, its code and its time zone."""

    id: int
    code: str
    name: str
    timezone: str


_RECORD = (Branch.id, Branch.code, Branch.name, Branch.timezone)


async def branch_by_code(code: str, *, field: str | None = None) -> BranchRecord:
    """The branch; NotFound (404), or Invalid (422) on `field` when it came in a body."""
    row = await Branch.select(*_RECORD).where(Branch.code == code).first()
    if row is None:
        if field:
            raise Invalid(FieldError(field, f"no branch with code {code!r}"))
        raise NotFound(f"No branch with code {code!r}.", Code.BRANCH_NOT_FOUND)
    return BranchRecord(id=row["id"], code=row["code"], name=row["name"], timezone=row["timezone"])


def _closure(row: dict[str, Any]) -> ClosureOut:
    return ClosureOut(date=row["date"], reason=row["reason"])


def _branch(code: str, name: str, timezone: str, closures: list[ClosureOut]) -> BranchOut:
    return BranchOut(code=code, name=name, timezone=timezone, closures=closures)


async def create_branch(
    actor: Actor, now: datetime, *, code: str, name: str, timezone: str
) -> BranchOut:
    valid_timezone(timezone)
    async with write_transaction():
        if await Branch.exists().where(Branch.code == code):
            raise Conflict(f"A branch with code {code!r} already exists.", Code.DUPLICATE_BRANCH)
        if await ServicePoint.exists().where(ServicePoint.code == code):
            raise Conflict(
                f"A service point with code {code!r} already exists: the branch's own desk takes "
                "the branch's code.",
                Code.DUPLICATE_SERVICE_POINT,
            )
        with duplicate_is(
            Conflict(f"A branch with code {code!r} already exists.", Code.DUPLICATE_BRANCH)
        ):
            row = (
                await Branch.insert(
                    Branch(code=code, name=name, timezone=timezone, created_at=now)
                ).returning(Branch.id)
            )[0]
            # The branch's own desk, a service point of type `branch` with the same code.
            await ServicePoint.insert(
                ServicePoint(
                    code=code,
                    name=name,
                    type=ServicePointType.BRANCH.value,
                    branch=row["id"],
                    address="",
                    timezone=None,
                    hours="{}",
                    active=True,
                    created_at=now,
                )
            )
        await audit.record(actor, "branch_created", code, now, {"name": name, "timezone": timezone})
    return _branch(code, name, timezone, [])


async def list_branches(limit: int = 50, offset: int = 0) -> BranchList:
    rows = await Branch.select(*_RECORD).order_by(Branch.code).limit(limit).offset(offset)
    ids = [r["id"] for r in rows]
    closures: dict[int, list[ClosureOut]] = {i: [] for i in ids}
    if ids:
        for c in await Closure.select().where(Closure.branch.is_in(ids)).order_by(Closure.date):
            closures[c["branch"]].append(_closure(c))
    items = [_branch(r["code"], r["name"], r["timezone"], closures[r["id"]]) for r in rows]
    return BranchList(items=items, total=await Branch.count())


async def add_closure(
    actor: Actor, now: datetime, *, code: str, day: date, reason: str
) -> BranchClosureOut:
    async with write_transaction():
        branch = await branch_by_code(code)
        exists = await Closure.exists().where((Closure.branch == branch.id) & (Closure.date == day))
        if exists:
            raise Conflict(
                f"Branch {code} is already closed on {day.isoformat()}.", Code.DUPLICATE_CLOSURE
            )
        await Closure.insert(Closure(branch=branch.id, date=day, reason=reason))
        await audit.record(
            actor,
            "branch_closed_date_added",
            code,
            now,
            {"date": day.isoformat(), "reason": reason},
        )
    return BranchClosureOut(branch=code, date=day, reason=reason)


async def get_branch(code: str) -> BranchOut:
    """The branch with all its closed dates, oldest first."""
    branch = await branch_by_code(code)
    rows = await Closure.select().where(Closure.branch == branch.id).order_by(Closure.date)
    return _branch(branch.code, branch.name, branch.timezone, [_closure(c) for c in rows])


async def remove_closure(actor: Actor, now: datetime, *, code: str, day: date) -> BranchClosureOut:
    """The branch opens again on `day`. Due dates already set stay as they are."""
    async with write_transaction():
        branch = await branch_by_code(code)
        condition = (Closure.branch == branch.id) & (Closure.date == day)
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
    return BranchClosureOut(branch=code, date=day, reason=row["reason"])


async def calendar_for(branch_id: int, timezone: str, now: datetime) -> BranchCalendar:
    """The branch's zone and its closed dates from yesterday on (enough for any due date)."""
    since = (now - timedelta(days=2)).date()
    rows = await Closure.select(Closure.date).where(
        (Closure.branch == branch_id) & (Closure.date >= since)
    )
    return BranchCalendar.of(timezone, (r["date"] for r in rows))
