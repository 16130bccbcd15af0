"""Loan policies, one per device kind. A kind without a stored policy uses the defaults."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from ...circulation import KINDS, FieldError, Invalid, LoanPolicy, default_policies
from ...database import write_transaction
from ...schemas.base import PolicyOut
from ...tables import Policy
from .._common import audit
from ..actors import Actor

__all__ = [
    "all_policies",
    "get_policy",
    "list_policies",
    "policy_of",
    "policy_out",
    "put_policy",
    "valid_kind",
]


def valid_kind(kind: str, field: str = "kind") -> str:
    if kind not in KINDS:
        raise Invalid(FieldError(field, f"must be one of {', '.join(KINDS)}"))
    return kind


def _from_row(row: dict[str, Any]) -> LoanPolicy:
    stages = row["overdue_notice_days"]
    if isinstance(stages, str):
        stages = json.loads(stages)
    values = {k: row[k] for k in asdict(LoanPolicy(kind=row["kind"])) if k in row}
    values["overdue_notice_days"] = tuple(stages or ())
    return LoanPolicy(**values)


def _stored(policy: LoanPolicy) -> dict[str, Any]:
    """The policy's values as stored and audited (every field, the stages as a list)."""
    out = asdict(policy)
    out["overdue_notice_days"] = list(policy.overdue_notice_days)
    return out


def policy_out(policy: LoanPolicy) -> PolicyOut:
    return PolicyOut(**_stored(policy))


def policy_of(kind: str, row: dict[str, Any] | None) -> LoanPolicy:
    """The kind's policy from its stored row, or the defaults when it has none."""
    if row is None:
        return default_policies().get(kind) or LoanPolicy(kind=kind)
    return _from_row(row)


async def get_policy(kind: str) -> LoanPolicy:
    return policy_of(kind, await Policy.select().where(Policy.kind == kind).first())


async def all_policies() -> list[LoanPolicy]:
    """Every kind's policy: stored ones, and the defaults for kinds never edited."""
    policies = default_policies()
    for row in await Policy.select():
        policies[row["kind"]] = _from_row(row)
    return [policies[k] for k in sorted(policies)]


async def list_policies() -> list[PolicyOut]:
    return [policy_out(p) for p in await all_policies()]


async def put_policy(actor: Actor, now: datetime, kind: str, values: dict[str, Any]) -> PolicyOut:
    valid_kind(kind)
    if "kind" in values:
        # A policy read with GET carries its kind; sending it back unchanged is fine.
        if values["kind"] != kind:
            raise Invalid(
                FieldError(
                    "kind",
                    f"this is the {kind} policy: send kind {kind!r} or leave it out "
                    "(a policy's kind cannot be changed)",
                )
            )
        values = {k: v for k, v in values.items() if k != "kind"}
    current = await get_policy(kind)
    stages = values.get("overdue_notice_days")
    if stages is not None:
        values = {**values, "overdue_notice_days": tuple(stages)}
    policy = replace(current, **values)
    problems = policy.problems()
    if problems:
        raise Invalid(problems)
    stored = _stored(policy)
    row = {k: v for k, v in stored.items() if k != "kind"}
    row["overdue_notice_days"] = json.dumps(stored["overdue_notice_days"])
    async with write_transaction():
        if await Policy.exists().where(Policy.kind == kind):
            await Policy.update(row).where(Policy.kind == kind)
        else:
            await Policy.insert(Policy(kind=kind, **row))
        await audit.record(actor, "policy_updated", kind, now, stored)
    return policy_out(policy)
