"""Delivering queued notices: one message per patron per run, retried with backoff.

A run works in batches of patrons: claim their due notices (a short write transaction that pushes
`next_attempt_at` forward, so a second instance or run skips them), render and send one message per
patron outside any transaction, then record the outcome (another short transaction). A notice is
never lost: a failed send leaves it pending with `attempts` + 1 and a later `next_attempt_at`,
until MAX_ATTEMPTS failures make it `failed`. Patrons with neither email nor phone, and patrons
whose only channels are not set up, are on the call list for staff (lending.services.notices.call_list).
When email/SMS is not set up and LENDING_OUTBOX_DIR is, messages are written to
that local outbox instead (lending.notify.outbox): status sent, channel `outbox`, the patron not
told. A run that left notices undelivered reports why (`run_problem`), so it is recorded failing."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import msgspec

from ...circulation import HoldStatus, LoanPolicy, LoanStatus, NoticeStatus, is_cellular
from ...database import write_transaction
from ...notify.channels import Channels, DeliveryError
from ...notify.outbox import Outbox
from ...notify.render import (
    KINDS_WITH_TEMPLATES,
    DeviceInfo,
    Library,
    NoticeFacts,
    Rendered,
    bundle_subject,
    language_of,
    render_email,
    render_notice,
    render_sms,
)
from ...settings import Settings
from ...tables import Charge, Hold, Loan, Notice, Patron
from .._common.rows import Row
from ..library.policies import all_policies

__all__ = [
    "MAX_ATTEMPTS",
    "DeliveryCounts",
    "deliver_notices",
    "retry_delay",
    "run_problem",
    "setup_problems",
]

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=6)
CLAIM = timedelta(minutes=15)  # a claimed notice is retried after this if its run died
BATCH = 200
SENDABLE = ["email", "sms"]
LOAN_KINDS = frozenset({"due_soon", "overdue", "lost", "renewed"})


class DeliveryCounts(msgspec.Struct, kw_only=True):
    """What one delivery run did, in notices: `sent`, `failed` (given up), `retrying` (still
    pending), `skipped` (no longer true: the device came back, the loan was renewed, the hold
    ended), `not_set_up` (held: no channel of theirs is set up), `outbox` (written only to the
    local outbox); and `messages` that went out, to patrons or to the outbox."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0
    skipped: int = 0
    not_set_up: int = 0
    outbox: int = 0
    messages: int = 0


def retry_delay(failures: int) -> timedelta:
    """5 minutes after the first failure, doubling each time, at most 6 hours."""
    return min(FIRST_RETRY * 2 ** max(0, min(failures, 20) - 1), LONGEST_RETRY)


def _due(now: datetime) -> list[Any]:
    return [
        Notice.status == NoticeStatus.PENDING,
        Notice.channel.is_in(SENDABLE),
        Notice.next_attempt_at <= now,
    ]


async def _claim(now: datetime, condition: Any) -> list[Row]:
    async with write_transaction():
        rows = await (
            Notice.update({Notice.next_attempt_at: now + CLAIM})
            .where(condition, *_due(now))
            .returning(Notice.id)
        )
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    return await Notice.select().where(Notice.id.is_in(ids)).order_by(Notice.id)


async def deliver_notices(now: datetime, settings: Settings) -> DeliveryCounts:
    """Send pending email/SMS notices due at `now`, one message per patron (or recipient);
    what happened to them, counted (DeliveryCounts)."""
    counts = DeliveryCounts()
    policies = {p.kind: p for p in await all_policies()}
    async with Channels(settings) as channels:
        run = _Run(now, settings, channels, policies, counts)
        after = 0
        while True:
            rows = await (
                Notice.select(Notice.patron)
                .where(Notice.patron.is_not_null(), Notice.patron > after, *_due(now))
                .distinct()
                .order_by(Notice.patron)
                .limit(BATCH)
            )
            patron_ids = [row["patron"] for row in rows]
            if not patron_ids:
                break
            after = patron_ids[-1]
            claimed = await _claim(now, Notice.patron.is_in(patron_ids))
            if claimed:
                await run.patron_batch(claimed)
            if len(patron_ids) < BATCH:
                break
        after = 0
        while True:
            rows = await (
                Notice.select(Notice.id)
                .where(Notice.patron.is_null(), Notice.id > after, *_due(now))
                .order_by(Notice.id)
                .limit(BATCH)
            )
            ids = [row["id"] for row in rows]
            if not ids:
                break
            after = ids[-1]
            claimed = await _claim(now, Notice.id.is_in(ids))
            if claimed:
                await run.recipient_batch(claimed)
            if len(ids) < BATCH:
                break
    return counts


class _Run:
    def __init__(
        self,
        now: datetime,
        settings: Settings,
        channels: Channels,
        policies: dict[str, LoanPolicy],
        counts: DeliveryCounts,
    ) -> None:
        self.now = now
        self.settings = settings
        self.channels = channels
        self.policies = policies
        self.counts = counts
        self.library = Library.from_settings(settings)
        self.outbox = Outbox(settings.outbox_dir)

    async def patron_batch(self, notices: list[dict[str, Any]]) -> None:
        by_patron: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for notice in notices:
            by_patron[notice["patron"]].append(notice)
        patrons = {
            row["id"]: row
            for row in await Patron.select(
                Patron.id, Patron.name, Patron.email, Patron.phone, Patron.language
            ).where(Patron.id.is_in(list(by_patron)))
        }
        facts = await load_facts(notices, self.now, self.settings, self.policies)
        for patron_id, group in by_patron.items():
            await self.patron_group(patrons.get(patron_id), group, facts)

    async def patron_group(
        self,
        patron: dict[str, Any] | None,
        notices: list[dict[str, Any]],
        facts: dict[int, NoticeFacts | str],
    ) -> None:
        live: list[dict[str, Any]] = []
        for notice in notices:
            fact = facts.get(notice["id"])
            if patron is None:
                await self.skip(notice, "not sent: the patron record no longer exists")
            elif isinstance(fact, str):
                await self.skip(notice, fact)
            else:
                live.append(notice)
        if not live or patron is None:
            return
        options = [(c, a) for c, a in (("email", patron["email"]), ("sms", patron["phone"])) if a]
        if not options:
            await _update(
                live,
                {
                    Notice.channel: "call",
                    Notice.next_attempt_at: self.now,
                    Notice.last_error: "No email or phone number: on the call list for staff.",
                },
            )
            return
        usable = [(c, a) for c, a in options if not self.channels.problem(c)]
        why = "" if usable else self.channels.problem(options[0][0]) or ""
        if why and not self.outbox.on:
            await self.release(live, why)
            return
        channel, address = (usable or options)[0]
        language = language_of(live[-1]["language"])
        subject = body = ""
        try:
            rendered = [self.rendered(n, facts[n["id"]]) for n in live]  # type: ignore[arg-type]
            if channel == "email":
                subject, body = render_email(rendered, self.library, language, patron["name"])
            else:
                subject = bundle_subject(rendered, self.library, language)
                body = render_sms(rendered, self.library, language)
            if why:
                await self.to_outbox(live, channel, address, subject, body, why)
                return
            await self.send(channel, address, subject, body, language)
        except DeliveryError as exc:
            await self.failed(live, str(exc), subject, body)
        except Exception as exc:  # noqa: BLE001 - a template or data problem: retry, keep going
            await self.failed(live, f"Could not send: {type(exc).__name__}: {exc}")
        else:
            await self.sent(live, channel, subject, body)

    async def to_outbox(
        self,
        notices: list[dict[str, Any]],
        channel: str,
        address: str,
        subject: str,
        body: str,
        why: str,
    ) -> None:
        """Write the message to the local outbox: sent there, never to the patron."""
        ids = [n["id"] for n in notices]
        path = self.outbox.write(ids, channel, address, subject, body, self.now, why)
        note = f"Only in the local outbox ({path.name}), not sent to {address}: {why}"
        await self.sent(notices, "outbox", subject, body, note=note)
        self.counts.sent -= len(notices)
        self.counts.outbox += len(notices)

    def rendered(self, notice: dict[str, Any], fact: NoticeFacts) -> Rendered:
        if as_is(notice):
            return as_is_rendered(notice)
        return render_notice(fact, self.library, self.now)

    async def recipient_batch(self, notices: list[dict[str, Any]]) -> None:
        """Notices not to a patron (admin digests): delivered as queued, one message per
        recipient."""
        groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for notice in notices:
            channel = notice["channel"]
            address = notice["recipient"] or (
                self.settings.admin_email if channel == "email" else ""
            )
            groups[(channel, address)].append(notice)
        for (channel, address), group in groups.items():
            if not address:
                await self.release(group, "No recipient: set LENDING_ADMIN_EMAIL.")
                continue
            problem = self.channels.problem(channel)
            if problem and not self.outbox.on:
                await self.release(group, problem)
                continue
            if len(group) == 1:
                subject, body = group[0]["subject"], group[0]["body"] or group[0]["subject"]
            else:
                subject = f"{len(group)} notices from {self.library.name}"
                body = "\n\n----------\n\n".join(f"{n['subject']}\n\n{n['body']}" for n in group)
            try:
                if problem:
                    await self.to_outbox(group, channel, address, subject, body, problem)
                    continue
                await self.send(channel, address, subject, body, "en")
            except DeliveryError as exc:
                await self.failed(group, str(exc))
            else:
                await self.sent(group, channel)

    async def send(
        self, channel: str, address: str, subject: str, body: str, language: str
    ) -> None:
        if channel == "email":
            await self.channels.email.send(address, subject, body, self.now, language)
        else:
            await self.channels.sms.send(address, body)

    async def sent(
        self,
        notices: list[dict[str, Any]],
        channel: str,
        subject: str = "",
        body: str = "",
        *,
        note: str = "",
    ) -> None:
        values: dict[Any, Any] = {
            Notice.status: NoticeStatus.SENT,
            Notice.sent_at: self.now,
            Notice.channel: channel,
            Notice.last_error: note[:2000],
        }
        async with write_transaction():
            await _update(notices, values, transaction=False)
            await _store_text(notices, subject, body)
        self.counts.sent += len(notices)
        self.counts.messages += 1

    async def failed(
        self, notices: list[dict[str, Any]], error: str, subject: str = "", body: str = ""
    ) -> None:
        by_attempts: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for notice in notices:
            by_attempts[notice["attempts"]].append(notice)
        async with write_transaction():
            for attempts, group in by_attempts.items():
                failures = attempts + 1
                final = failures >= MAX_ATTEMPTS
                await _update(
                    group,
                    {
                        Notice.attempts: failures,
                        Notice.status: NoticeStatus.FAILED if final else NoticeStatus.PENDING,
                        Notice.next_attempt_at: self.now + retry_delay(failures),
                        Notice.last_error: error[:2000],
                    },
                    transaction=False,
                )
                if final:
                    self.counts.failed += len(group)
                else:
                    self.counts.retrying += len(group)
            await _store_text(notices, subject, body)

    async def release(self, notices: list[dict[str, Any]], problem: str) -> None:
        """Not sendable for now (a setting is missing): pending, due again, with the reason."""
        await _update(notices, {Notice.next_attempt_at: self.now, Notice.last_error: problem})
        self.counts.not_set_up += len(notices)

    async def skip(self, notice: dict[str, Any], reason: str) -> None:
        await _update([notice], {Notice.status: NoticeStatus.FAILED, Notice.last_error: reason})
        self.counts.skipped += 1


def setup_problems(settings: Settings) -> list[str]:
    """What is missing for real email and SMS (empty when both are set up)."""
    channels = Channels(settings)
    return [p for p in (channels.email.problem, channels.sms.problem) if p]


def run_problem(counts: DeliveryCounts, settings: Settings) -> str:
    """Why a delivery run did not deliver everything it tried, in words for the job record;
    "" when every notice due went out (or was rightly skipped)."""
    parts = []
    held = counts.not_set_up
    if held:
        parts.append(f"{held} notice{'s' * (held != 1)} waiting: no channel of theirs is set up")
    if counts.outbox:
        n = counts.outbox
        parts.append(f"{n} notice{'s' * (n != 1)} written only to the local outbox")
    if counts.retrying:
        parts.append(f"{counts.retrying} failed to send and will be retried")
    if counts.failed:
        parts.append(f"{counts.failed} given up after {MAX_ATTEMPTS} attempts")
    if not parts:
        return ""
    missing = setup_problems(settings) if held or counts.outbox else []
    return "; ".join(parts) + "." + "".join(f" {m}" for m in missing)


def as_is(notice: dict[str, Any]) -> bool:
    """Notices filled in when queued (admin digests, kinds without a template) go out as they are."""
    if notice["patron"] is None or notice["kind"] == "plan_digest":
        return True
    return notice["kind"] not in KINDS_WITH_TEMPLATES and bool(notice["body"])


def as_is_rendered(notice: dict[str, Any]) -> Rendered:
    subject = notice["subject"] or notice["kind"]
    body = notice["body"] or subject
    return Rendered(notice["kind"], subject, subject, " ".join(body.split()), body)


async def _update(
    notices: list[dict[str, Any]], values: dict[Any, Any], *, transaction: bool = True
) -> None:
    ids = [n["id"] for n in notices]
    if not ids:
        return
    query = Notice.update(values).where(Notice.id.is_in(ids), Notice.status == NoticeStatus.PENDING)
    if transaction:
        async with write_transaction():
            await query
    else:
        await query


async def _store_text(notices: list[dict[str, Any]], subject: str, body: str) -> None:
    """The message that carried them, on every rendered notice (as-is ones keep their text)."""
    rendered = [n for n in notices if not as_is(n)]
    if rendered and (subject or body):
        ids = [n["id"] for n in rendered]
        await Notice.update({Notice.subject: subject, Notice.body: body}).where(
            Notice.id.is_in(ids)
        )


async def load_facts(
    notices: list[dict[str, Any]],
    now: datetime,
    settings: Settings,
    policies: dict[str, LoanPolicy] | None = None,
) -> dict[int, NoticeFacts | str]:
    """Per notice id: what its template needs, or why it is no longer true (a string)."""
    if policies is None:
        policies = {p.kind: p for p in await all_policies()}
    loan_ids = sorted({n["loan"] for n in notices if n["loan"] is not None})
    hold_ids = sorted({n["hold"] for n in notices if n["hold"] is not None})
    patron_ids = sorted({n["patron"] for n in notices if n["patron"] is not None})
    loans: dict[int, dict[str, Any]] = {}
    charges: dict[int, int] = {}
    if loan_ids:
        rows = await Loan.select(
            Loan.id,
            Loan.kind,
            Loan.due_at,
            Loan.renewals,
            Loan.status,
            Loan.returned_at,
            Loan.device.kind.as_alias("device_kind"),
            Loan.device.model.as_alias("device_model"),
            Loan.device.barcode.as_alias("device_barcode"),
            Loan.device.replacement_cost_cents.as_alias("replacement_cost_cents"),
            Loan.branch.name.as_alias("branch_name"),
            Loan.branch.timezone.as_alias("branch_timezone"),
        ).where(Loan.id.is_in(loan_ids))
        loans = {row["id"]: row for row in rows}
        for row in await Charge.select(Charge.loan, Charge.amount_cents).where(
            Charge.loan.is_in(loan_ids), Charge.kind == "replacement"
        ):
            charges[row["loan"]] = row["amount_cents"]
    holds: dict[int, dict[str, Any]] = {}
    if hold_ids:
        rows = await Hold.select(
            Hold.id,
            Hold.kind,
            Hold.status,
            Hold.ready_until,
            Hold.device.kind.as_alias("device_kind"),
            Hold.device.model.as_alias("device_model"),
            Hold.device.barcode.as_alias("device_barcode"),
            Hold.branch.name.as_alias("branch_name"),
            Hold.branch.timezone.as_alias("branch_timezone"),
            Hold.pickup_point.name.as_alias("pickup_name"),
        ).where(Hold.id.is_in(hold_ids))
        holds = {row["id"]: row for row in rows}
    names: dict[int, str] = {}
    if patron_ids:
        names = {
            row["id"]: row["name"]
            for row in await Patron.select(Patron.id, Patron.name).where(
                Patron.id.is_in(patron_ids)
            )
        }
    out: dict[int, NoticeFacts | str] = {}
    for notice in notices:
        loan = loans.get(notice["loan"]) if notice["loan"] is not None else None
        hold = holds.get(notice["hold"]) if notice["hold"] is not None else None
        reason = _stale(notice, loan, hold, now)
        if reason:
            out[notice["id"]] = reason
            continue
        source = loan or hold or {}
        facts = NoticeFacts(
            kind=notice["kind"],
            language=language_of(notice["language"]),
            timezone=source.get("branch_timezone") or settings.timezone,
            patron_name=names.get(notice["patron"], "") if notice["patron"] else "",
            stage=notice["stage"],
            branch=source.get("pickup_name") or source.get("branch_name") or "",
        )
        if source.get("device_barcode"):
            facts.device = DeviceInfo(
                source["device_kind"], source["device_model"], source["device_barcode"]
            )
        if loan is not None:
            policy = policies.get(loan["kind"]) or LoanPolicy(kind=loan["kind"])
            facts.loan_kind = loan["kind"]
            facts.due_at = loan["due_at"]
            facts.renewals = loan["renewals"]
            facts.max_renewals = policy.max_renewals
            facts.lost_after_days = policy.lost_after_days if notice["kind"] == "overdue" else None
            facts.replacement_cost_cents = charges.get(loan["id"], loan["replacement_cost_cents"])
            if is_cellular(loan["kind"]) and notice["kind"] in ("due_soon", "overdue", "renewed"):
                facts.suspend_after_days = policy.suspend_line_after_days
        elif hold is not None:
            facts.loan_kind = hold["kind"]
            facts.ready_until = hold["ready_until"]
        out[notice["id"]] = facts
    return out


def _stale(
    notice: dict[str, Any],
    loan: dict[str, Any] | None,
    hold: dict[str, Any] | None,
    now: datetime,
) -> str | None:
    """Why a notice is no longer true, so sending it would mislead the patron; None if it is."""
    kind = notice["kind"]
    if kind in LOAN_KINDS and notice["loan"] is not None:
        if loan is None:
            return "not sent: the loan no longer exists"
        if loan["returned_at"] is not None:
            return "not sent: the device was returned before the notice went out"
        if kind != "lost" and loan["status"] != LoanStatus.ACTIVE:
            return f"not sent: the loan is now {loan['status']}"
        if kind == "overdue" and loan["due_at"] > now:
            return "not sent: the loan was renewed and is no longer overdue"
        if kind == "due_soon" and notice["stage"] != f"r{loan['renewals']}":
            return "not sent: the loan was renewed since this reminder was queued"
    if kind in ("hold_ready", "hold_moved") and notice["hold"] is not None:
        if hold is None:
            return "not sent: the hold no longer exists"
        if hold["status"] != HoldStatus.READY:
            return f"not sent: the hold is now {hold['status']}"
    return None
