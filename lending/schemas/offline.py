"""Offline circulation: a desk's queue (uploaded by the page or imported from its exported
file), how each transaction came out, and the exceptions staff resolve."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta

from .base import Code, Input, Out, Page

# The desk's own ids: a UUID or any short token of letters, digits and - _ . :
Uid = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
PointCode = Annotated[str, Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]
Username = Annotated[str, Meta(min_length=1, max_length=64)]
Aware = Annotated[datetime, Meta(tz=True, description="with its UTC offset")]
Action = Literal["checkout", "checkin", "renew"]
Status = Literal["applied", "exception", "resolved", "discarded", "duplicate"]
# A session holds at most this many transactions (a day's work at a busy stop is a few hundred).
MAX_TRANSACTIONS = 5000


class OfflineTransactionIn(Input):
    id: Uid
    type: Action
    device: Code
    at: Aware  # the desk's clock when it was scanned
    clerk: Username  # the staff account logged in at the desk
    patron: Code | None = None  # checkout only
    due_at: Aware | None = None  # checkout: the provisional due date the desk showed


class OfflineSessionIn(Input):
    id: Uid
    transactions: Annotated[
        list[OfflineTransactionIn], Meta(min_length=1, max_length=MAX_TRANSACTIONS)
    ]
    service_point: PointCode | None = None


class OfflineResultOut(Out):
    id: str  # the desk's id for the transaction
    entry: int  # this entry's id: resolve an exception with it
    type: str
    device: str
    patron: str | None
    at: datetime
    clerk: str
    status: Status
    code: str | None  # the refusal's code, for an exception
    detail: str
    loan: int | None
    due_at: datetime | None  # the real due date (checkout, renew)
    provisional_due_at: datetime | None
    due_changed: bool  # the real due date is not the one the desk showed
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    reason: str = ""


class OfflineSessionOut(Out):
    id: str
    service_point: str | None
    source: str
    uploaded_by: str
    uploaded_at: datetime
    already_uploaded: bool  # this upload was a repeat: nothing was replayed again
    transactions: int
    applied: int
    exceptions: int
    results: list[OfflineResultOut]


class OfflineSessionSummary(Out):
    id: str
    service_point: str | None
    source: str
    uploaded_by: str
    uploaded_at: datetime
    transactions: int
    applied: int
    exceptions: int
    open_exceptions: int


class OfflineSessionList(Page[OfflineSessionSummary]):
    items: list[OfflineSessionSummary]


class OfflineExceptionList(Page[OfflineResultOut]):
    items: list[OfflineResultOut]


class DiscardIn(Input):
    reason: Annotated[str, Meta(min_length=1, max_length=500)]


class KindKit(Out):
    kind: str
    loan_days: int
    max_renewals: int
    renewal_days: int
    # The due date of a checkout made on each of the coming days (the library's dates), by
    # the same rule as online: closed days, a vehicle's stops.
    due_by_day: dict[str, datetime]


class CardKit(Out):
    card: str
    blocked: bool
    expires_on: str | None


class OfflineKitOut(Out):
    """What a desk keeps to work without a connection, refreshed while online."""

    generated_at: datetime
    valid_until: datetime  # refresh before this; after it the desk says its data is old
    service_point: str
    service_point_type: str
    timezone: str
    kinds: list[KindKit]
    # Cards the desk must not lend to: blocked, expired, or expiring within the kit's days.
    cards: list[CardKit]
