"""Logging in (staff: username + password; residents: card number + PIN), lockout after
repeated failures, and bearer tokens stored only as digests."""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import datetime, timedelta
from typing import Any

from ...circulation import AuthError, TooManyAttempts, Unauthenticated
from ...circulation.codes import Code
from ...database import is_postgres, write_transaction
from ...schemas.base import TokenOut
from ...settings import Settings
from ...tables import ApiToken, LoginAttempt, Patron, StaffUser
from .._common.bulk import BATCH, rows_source
from .._common.render import local_time
from .._common.sql import execute
from ..actors import Actor
from ..people import patron_source
from .passwords import verify_secret_async
from .throttle import LoginGate

__all__ = ["authenticate", "log_in_resident", "log_in_staff", "revoke", "revoke_all"]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvalidCredentials(AuthError):
    default_code = Code.INVALID_CREDENTIALS


async def _refuse_when_over(
    where: Any, limit: int, now: datetime, settings: Settings, detail: str
) -> None:
    """429 when `limit` failures matching `where` lie in the window; Retry-After is when the
    limit-th newest of them leaves it."""
    window = timedelta(minutes=settings.login_window_minutes)
    rows = (
        await LoginAttempt.select(LoginAttempt.at)
        .where(where & (LoginAttempt.at > now - window))
        .order_by(LoginAttempt.at, ascending=False)
        .limit(limit)
    )
    if len(rows) >= limit:
        wait = (rows[-1]["at"] + window - now).total_seconds()
        raise TooManyAttempts(detail, retry_after=max(1, math.ceil(wait)))


# Advisory lock namespaces (the first key of pg_advisory_xact_lock(int, int)).
_CLIENTS, _ACCOUNTS = 10_001, 10_002


async def _reserve(account: str, client: str, now: datetime, settings: Settings) -> int:
    """Count, refuse or record, atomically per account and per client: under the account's
    and the client's locks (PostgreSQL advisory locks, always client then account; SQLite's
    write lock, taken at BEGIN IMMEDIATE), refuse when either is over its limit, else write the
    attempt as a failure in advance. However many logins arrive together, no more than the
    limit are ever let through to the hash check."""
    async with write_transaction():
        if is_postgres():  # two-key locks: a client and an account never share a key
            if client:
                await execute("SELECT pg_advisory_xact_lock({}, hashtext({}))", _CLIENTS, client)
            await execute("SELECT pg_advisory_xact_lock({}, hashtext({}))", _ACCOUNTS, account)
        minutes = settings.login_window_minutes
        await _refuse_when_over(
            LoginAttempt.account == account,
            settings.login_max_failures,
            now,
            settings,
            f"Too many failed attempts; try again within {minutes} minutes.",
        )
        if client:
            await _refuse_when_over(
                LoginAttempt.client == client,
                settings.login_client_max_failures,
                now,
                settings,
                f"Too many failed logins from your address; try again within {minutes} minutes.",
            )
        rows = await LoginAttempt.insert(
            LoginAttempt(account=account, client=client, at=now)
        ).returning(LoginAttempt.id)
        return rows[0]["id"]


async def _login(
    account: str,
    stored_hash: str | None,
    secret: str,
    now: datetime,
    settings: Settings,
    client: str,
) -> bool:
    """Reserve an attempt, check the secret in the hashing pool (outside any lock or
    transaction); a failure keeps its reservation. A success clears the account's failures:
    this client's are deleted (the reservation included), other clients' stop counting for
    the account but still count for their client, so a sprayer's tries on this card are not
    forgiven because its owner logged in."""
    await _reserve(account, client, now, settings)
    ok = await verify_secret_async(stored_hash, secret, f"{account} {client}")
    if ok:
        await _forgive(account, client)
    return ok


async def _forgive(account: str, client: str) -> None:
    """After a success: this client's failures on the account go (the reservation included);
    other clients' stop counting for the account but still count for their client."""
    async with write_transaction():
        await LoginAttempt.delete().where(
            (LoginAttempt.account == account) & (LoginAttempt.client == client)
        )
        await LoginAttempt.update({LoginAttempt.account: ""}).where(LoginAttempt.account == account)


async def check_secret(
    account: str,
    stored_hash: str | None,
    secret: str,
    now: datetime,
    settings: Settings,
    client: str = "",
) -> bool:
    """Check a secret with the login throttle and lockout, without issuing a token (a kiosk's
    SIP login, a patron's PIN at a kiosk): TooManyAttempts when over the limit."""
    return await _login(account, stored_hash, secret, now, settings, client)


async def check_patron_pin(
    card_number: str, pin: str, now: datetime, settings: Settings, *, client: str = ""
) -> bool:
    """A patron's PIN checked as a resident login checks it (same account name, so the same
    lockout: failures at a kiosk and on the web count together), by the ILS when cards are
    checked against one (PatronSourceUnavailable when it does not answer)."""
    if len(card_number) > MAX_NAME:
        return False
    if settings.patron_source:
        try:
            await _log_in_with_ils(card_number, pin, now, settings, client)
        except InvalidCredentials:
            return False
        return True
    patron = await Patron.select(Patron.pin_hash).where(Patron.card_number == card_number).first()
    return await _login(
        "patron:" + card_number, patron["pin_hash"] if patron else None, pin, now, settings, client
    )


async def _issue(
    now: datetime, minutes: int, role: str, *, staff: int | None = None, patron: int | None = None
) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(minutes=minutes)
    await ApiToken.delete().where(ApiToken.expires_at < now)
    await ApiToken.insert(
        ApiToken(
            digest=_digest(token),
            role=role,
            staff=staff,
            patron=patron,
            created_at=now,
            expires_at=expires,
        )
    )
    return token, expires


def _token_reply(token: str, role: str, expires: datetime, settings: Settings) -> TokenOut:
    return TokenOut(
        access_token=token,
        token_type="Bearer",
        role=role,  # type: ignore[arg-type]  # a staff role or "resident"
        expires_at=local_time(expires, settings.timezone),  # type: ignore[arg-type]
    )


# Longest username and card number there can be (StaffUser.username, Patron.card_number): a
# longer one cannot log in, and would not fit LoginAttempt.account with its prefix.
MAX_NAME = 64


def _admitted(gate: LoginGate | None, client: str) -> AbstractAsyncContextManager[None]:
    return gate.admit(client) if gate is not None else nullcontext()


async def log_in_staff(
    username: str,
    password: str,
    now: datetime,
    settings: Settings,
    *,
    client: str = "",
    gate: LoginGate | None = None,
) -> TokenOut:
    """A staff token for username + password. `client` is the address failures are counted
    against across accounts ("" for none); `gate` the server process's request limit and
    login slots (None from the command line)."""
    async with _admitted(gate, client):
        if len(username) > MAX_NAME:
            raise InvalidCredentials("Wrong username or password.")
        user = (
            await StaffUser.select()
            .where(
                (StaffUser.username == username) & (StaffUser.active == True)  # noqa: E712
            )
            .first()
        )
        ok = await _login(
            "staff:" + username,
            user["password_hash"] if user else None,
            password,
            now,
            settings,
            client,
        )
        if not ok or user is None:
            raise InvalidCredentials("Wrong username or password.")
        token, expires = await _issue(
            now, settings.staff_token_minutes, user["role"], staff=user["id"]
        )
    return _token_reply(token, user["role"], expires, settings)


async def log_in_resident(
    card_number: str,
    pin: str,
    now: datetime,
    settings: Settings,
    *,
    client: str = "",
    gate: LoginGate | None = None,
) -> TokenOut:
    """A resident token for card number + PIN (`client`, `gate`: as for log_in_staff). With
    LENDING_PATRON_SOURCE set, the ILS checks the card and PIN instead of the local PIN hash
    (same throttle and lockout), and the local patron is created or refreshed from it."""
    async with _admitted(gate, client):
        if len(card_number) > MAX_NAME:
            raise InvalidCredentials("Wrong card number or PIN.")
        if patron_source.enabled(settings):
            patron_id = await _log_in_with_ils(card_number, pin, now, settings, client)
        else:
            patron = (
                await Patron.select(Patron.id, Patron.pin_hash)
                .where(Patron.card_number == card_number)
                .first()
            )
            ok = await _login(
                "patron:" + card_number,
                patron["pin_hash"] if patron else None,
                pin,
                now,
                settings,
                client,
            )
            if not ok or patron is None:
                raise InvalidCredentials("Wrong card number or PIN.")
            patron_id = patron["id"]
        token, expires = await _issue(
            now, settings.resident_token_minutes, "resident", patron=patron_id
        )
    return _token_reply(token, "resident", expires, settings)


async def _log_in_with_ils(
    card_number: str, pin: str, now: datetime, settings: Settings, client: str
) -> int:
    """The login's card and PIN checked by the ILS, as `_login` checks a hash: the attempt is
    reserved first (refused when over the limits); a wrong PIN keeps it as a failure; a success
    clears the account's failures the same way. An ILS that does not answer is nobody's failed
    attempt: the reservation is taken back and the login refused with 503. The local patron's
    id on success."""
    account = "patron:" + card_number
    attempt = await _reserve(account, client, now, settings)
    check = await patron_source.check_card(
        card_number, pin, now, settings, actor=Actor(account, "resident")
    )
    if check.verdict is patron_source.Verdict.UNAVAILABLE:
        async with write_transaction():
            await LoginAttempt.delete().where(LoginAttempt.id == attempt)
        raise patron_source.PatronSourceUnavailable(
            "The library's card system (ILS) did not answer, so your card and PIN cannot be "
            "checked right now. Please try again in a few minutes."
        )
    if not check.ok or check.patron_id is None:
        raise InvalidCredentials("Wrong card number or PIN.")
    await _forgive(account, client)
    return check.patron_id


_TOKEN_SQL = (
    "SELECT t.role, t.staff, t.patron, t.expires_at, s.username, s.active, p.card_number, "
    "s.partner "
    "FROM api_token t LEFT JOIN staff_user s ON s.id = t.staff "
    "LEFT JOIN patron p ON p.id = t.patron WHERE t.digest = {}"
)


async def authenticate(token: str, now: datetime) -> Actor:
    """The actor behind a bearer token (one indexed query: it runs on every request)."""
    rows = await ApiToken.raw(_TOKEN_SQL, _digest(token))
    row = rows[0] if rows else None
    if row is None or row["expires_at"] <= now:
        raise Unauthenticated("The token is invalid or has expired; log in again.")
    if row["staff"] is not None:
        if not row["active"]:
            raise Unauthenticated("This staff account is disabled.")
        return Actor(row["username"], row["role"], staff_id=row["staff"], partner_id=row["partner"])
    return Actor("patron:" + row["card_number"], "resident", patron_id=row["patron"])


async def revoke(token: str) -> None:
    await ApiToken.delete().where(ApiToken.digest == _digest(token))


async def revoke_all(
    *,
    patron_id: int | None = None,
    staff_id: int | None = None,
    patron_cards: Sequence[str] = (),
    keep: str | None = None,
) -> None:
    """End every session of an account whose PIN or password changed: delete its tokens (page
    sessions carry these tokens, so they end too), except `keep` (the token, as sent, of the
    account changing its own secret). `patron_cards` does the same for many patrons at once (an
    import). Call it inside the transaction that changes the secret."""
    owners = []
    if patron_id is not None:
        owners.append(ApiToken.patron == patron_id)
    if staff_id is not None:
        owners.append(ApiToken.staff == staff_id)
    for owner in owners:
        query = ApiToken.delete().where(owner)
        if keep is not None:
            query = query.where(ApiToken.digest != _digest(keep))
        await query
    for start in range(0, len(patron_cards), BATCH):
        batch = [(card,) for card in patron_cards[start : start + BATCH]]
        source, params = rows_source([("card", "text")], batch)
        await execute(
            "DELETE FROM api_token WHERE patron IN "
            f"(SELECT p.id FROM patron p JOIN ({source}) AS v ON p.card_number = v.card)",
            *params,
        )
