"""Checkout receipts: a loan's facts, in its patron's language, as an 80 mm PDF or HTML."""

from __future__ import annotations

from ...circulation import Conflict, LoanStatus, NotFound
from ...circulation.codes import Code
from ...printing import ReceiptFacts, receipt_html, receipt_pdf
from ...settings import Settings
from ...tables import Loan
from .._common.rows import Row
from ..library.policies import get_policy

__all__ = ["loan_receipt"]


async def _facts(settings: Settings, loan_id: int) -> ReceiptFacts:
    row: Row | None = (
        await Loan.select(
            Loan.id,
            Loan.kind,
            Loan.status,
            Loan.returned_at,
            Loan.checked_out_at,
            Loan.due_at,
            Loan.renewals,
            Loan.shortened_for,
            Loan.device.barcode.as_alias("barcode"),
            Loan.device.model.as_alias("model"),
            Loan.patron.card_number.as_alias("card_number"),
            Loan.patron.language.as_alias("language"),
            Loan.branch.name.as_alias("branch_name"),
            Loan.branch.timezone.as_alias("timezone"),
        )
        .where(Loan.id == loan_id)
        .first()
    )
    if row is None:
        raise NotFound(f"No loan with id {loan_id}.", Code.LOAN_NOT_FOUND)
    if row["status"] != LoanStatus.ACTIVE or row["returned_at"] is not None:
        raise Conflict(
            f"Loan {loan_id} is {row['status']}; receipts are for loans still out.",
            Code.LOAN_NOT_ACTIVE,
        )
    policy = await get_policy(row["kind"])
    return ReceiptFacts(
        loan_id=row["id"],
        library=settings.library_name,
        branch=row["branch_name"] or "",
        timezone=row["timezone"] or settings.timezone,
        language=row["language"] or "en",
        card_number=row["card_number"],
        kind=row["kind"],
        model=row["model"] or "",
        barcode=row["barcode"],
        checked_out_at=row["checked_out_at"],
        due_at=row["due_at"],
        renewals_left=max(0, policy.max_renewals - row["renewals"]),
        renew_url=settings.renew_url,
        phone=settings.library_phone,
        due_early=row["shortened_for"] is not None,
    )


async def loan_receipt(settings: Settings, loan_id: int, fmt: str) -> tuple[bytes, str]:
    """(content, media type) of the loan's receipt: fmt "pdf" or "html"."""
    facts = await _facts(settings, loan_id)
    if fmt == "pdf":
        return receipt_pdf(facts), "application/pdf"
    return receipt_html(facts).encode(), "text/html"
