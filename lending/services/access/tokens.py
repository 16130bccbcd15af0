"""Checked bearer tokens, remembered per process for the hot path (checkout, checkin, renew).

A remembered token lets the guard of a hot route skip its own query: the actor it gives carries
the token's digest, and the service checks the token again inside its facts query (the same
statement that takes the locks), with the rules of `auth.authenticate`: unknown or expired -> 401,
a disabled staff account -> 401, a role that may not do the action -> 403. So a token revoked, or
an account changed, by another instance sharing the database is refused by the next request, as
without the cache. Only PostgreSQL's hot path does that check; elsewhere nothing is remembered.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import replace
from datetime import datetime
from typing import Any

from ...circulation import Forbidden, Unauthenticated
from ...circulation.permissions import Action, allows, refusal
from ...database import is_postgres
from ..actors import Actor
from .auth import authenticate

__all__ = ["actor_for", "checked_again", "digest_of", "forget", "remember", "remembered"]

MAX_TOKENS = 4096
KEEP_SECONDS = 300.0

_tokens: OrderedDict[str, tuple[Actor, float]] = OrderedDict()


def digest_of(token: str) -> str:
    """The stored form of a token (SHA-256, as `auth` stores it)."""
    return hashlib.sha256(token.encode()).hexdigest()


def remembered(digest: str) -> Actor | None:
    entry = _tokens.get(digest)
    if entry is None:
        return None
    actor, until = entry
    if until < time.monotonic():
        _tokens.pop(digest, None)
        return None
    _tokens.move_to_end(digest)
    return actor


def remember(digest: str, actor: Actor) -> Actor:
    """Remember `actor` (just authenticated) for its token; returns it with the digest set."""
    actor = replace(actor, token_digest=digest)
    _tokens[digest] = (actor, time.monotonic() + KEEP_SECONDS)
    _tokens.move_to_end(digest)
    while len(_tokens) > MAX_TOKENS:
        _tokens.popitem(last=False)
    return actor


def forget(digest: str) -> None:
    _tokens.pop(digest, None)


async def actor_for(token: str, now: datetime) -> Actor:
    """The actor behind `token` for a hot route: remembered (no query; the service checks the
    token again) on PostgreSQL, else `authenticate`d and remembered."""
    if not is_postgres():
        return await authenticate(token, now)
    digest = digest_of(token)
    actor = remembered(digest)
    if actor is None:
        actor = await authenticate(token, now)
        if actor.partner_id is not None:
            return actor  # checked here every time: partner work goes by the general path
        actor = remember(digest, actor)
    return actor


# The token's facts as the hot-path facts queries return them (one record column, NULL when the
# token is unknown): role, staff id, patron id, expires_at, username, active, card number.
TOKEN_RECORD_SQL = (
    "(SELECT ROW(t.role, t.staff, t.patron, t.expires_at, s.username, s.active, tp.card_number) "
    "FROM api_token t LEFT JOIN staff_user s ON s.id = t.staff "
    "LEFT JOIN patron tp ON tp.id = t.patron WHERE t.digest = {digest})"
)


def checked_again(actor: Actor, record: Any, now: datetime, action: Action) -> Actor:
    """The actor for `action` from the token's facts read in this transaction (`record`), or
    `actor` itself when it did not come from a remembered token."""
    digest = actor.token_digest
    if digest is None:
        return actor
    if record is None or record[3] <= now:
        forget(digest)
        raise Unauthenticated("The token is invalid or has expired; log in again.")
    role, staff, patron, _, username, active, card = record
    if staff is not None:
        if not active:
            forget(digest)
            raise Unauthenticated("This staff account is disabled.")
        fresh = Actor(username, role, staff_id=staff, token_digest=digest)
    else:
        fresh = Actor("patron:" + card, "resident", patron_id=patron, token_digest=digest)
    if fresh != actor:
        forget(digest)
    if not allows(fresh.role, action):
        raise Forbidden(refusal(action))
    return fresh
