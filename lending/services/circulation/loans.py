"""Reading loans and shaping them: times in the branch's zone, overdue derived from `now`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from piccolo.columns.combination import And, Or, Where

from ...circulation import OVERDUE, FieldError, Invalid, LoanStatus, is_overdue
from ...schemas.base import LoanOut
from ...tables import Loan
from .._common.paging import Page, page_of
from .._common.render import local_time
from .._common.rows import Row

__all__ = ["LOAN_STATUSES", "current_borrower", "list_loans", "loan_rows", "loan_view"]

# What a list may be filtered by: the stored statuses and the derived `overdue`.
LOAN_STATUSES = (
    LoanStatus.ACTIVE.value,
    OVERDUE,
    LoanStatus.RETURNED.value,
    LoanStatus.LOST.value,
)

LOAN_COLUMNS = (
    Loan.all_columns(),
    Loan.device.barcode.as_alias("device_barcode"),
    Loan.patron.card_number.as_alias("patron_card"),
    Loan.branch.code.as_alias("branch_code"),
    Loan.branch.timezone.as_alias("branch_timezone"),
    Loan.service_point.code.as_alias("service_point_code"),
    Loan.program.code.as_alias("program_code"),
)


async def current_borrower(device_id: int) -> str | None:
    """The card number of the patron who has the device out now, or None."""
    row = (
        await Loan.select(Loan.patron.card_number.as_alias("card"))
        .where((Loan.device == device_id) & Loan.returned_at.is_null())
        .first()
    )
    return row["card"] if row else None


async def loan_rows(
    where: And | Or | Where | None = None, limit: int | None = None, offset: int = 0
) -> list[Row]:
    query = Loan.select(*LOAN_COLUMNS).order_by(Loan.id, ascending=False)
    if where is not None:
        query = query.where(where)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return await query


def loan_status(row: Row, now: datetime) -> str:
    status = row["status"]
    if status == LoanStatus.ACTIVE and is_overdue(row["due_at"], now.astimezone(UTC)):
        return OVERDUE
    return status


def loan_view(row: Row, now: datetime) -> LoanOut:
    tz = row["branch_timezone"]
    return LoanOut(
        id=row["id"],
        device=row["device_barcode"],
        patron=row["patron_card"],
        branch=row["branch_code"],
        kind=row["kind"],
        checked_out_at=local_time(row["checked_out_at"], tz),
        due_at=local_time(row["due_at"], tz),
        renewals=row["renewals"],
        status=loan_status(row, now),
        returned_at=local_time(row["returned_at"], tz),
        service_point=row.get("service_point_code"),
        program=row.get("program_code"),
        reservation=row.get("reservation"),
        shortened_for=row.get("shortened_for"),
    )


def status_condition(status: str, now: datetime) -> Where | And:
    if status == OVERDUE:
        return (Loan.status == LoanStatus.ACTIVE) & (Loan.due_at < now)
    if status == LoanStatus.ACTIVE:
        return (Loan.status == LoanStatus.ACTIVE) & (Loan.due_at >= now)
    if status in LOAN_STATUSES:
        return Loan.status == status
    raise Invalid(FieldError("status", f"must be one of {', '.join(LOAN_STATUSES)}"))


async def list_loans(
    now: datetime,
    *,
    status: str | None = None,
    patron: str | None = None,
    device: str | None = None,
    patron_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    conditions: list[Any] = []
    if status:
        conditions.append(status_condition(status, now))
    if patron:
        conditions.append(Loan.patron.card_number == patron)
    if patron_id is not None:
        conditions.append(Loan.patron == patron_id)
    if device:
        conditions.append(Loan.device.barcode == device)
    where = None
    for c in conditions:
        where = c if where is None else where & c
    rows = await loan_rows(where, limit, offset)
    count = Loan.count()
    if where is not None:
        count = count.where(where)
    return page_of([loan_view(r, now) for r in rows], await count)
