"""Page sessions: a signed, HttpOnly, SameSite=Lax cookie that carries the same kind of token the
API issues, so the pages share the API's login lockout, expiry, revocation and roles.

The cookie holds {"t": token, "l": language}, serialised as JSON, base64url-encoded and signed
with HMAC-SHA256. A cookie that fails the signature check is treated as no session at all.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from litestar import Request, Response
from litestar.datastructures import Headers
from litestar.types import Scope

from ..circulation import Unauthenticated
from ..services.access.auth import authenticate
from ..services.actors import Actor
from ..settings import Settings

__all__ = [
    "COOKIE",
    "LANGUAGES",
    "Session",
    "SessionCodec",
    "codec_for",
    "cookies_secure",
    "load_secret",
    "page_actor",
    "session_of",
    "store_session",
]

COOKIE = "lending_session"
LANGUAGES = ("en", "es")
MAX_COOKIE_CHARS = 2048


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionCodec:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def dumps(self, data: dict[str, Any]) -> str:
        payload = _b64(json.dumps(data, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}"

    def loads(self, value: str | None) -> dict[str, Any]:
        if not value or len(value) > MAX_COOKIE_CHARS or "." not in value:
            return {}
        payload, _, signature = value.partition(".")
        if not hmac.compare_digest(signature, self._sign(payload)):
            return {}
        try:
            data = json.loads(_unb64(payload))
        except (ValueError, binascii.Error):
            return {}
        return data if isinstance(data, dict) else {}


def load_secret(settings: Settings) -> bytes:
    """LENDING_SECRET_KEY, or a random key kept in `settings.secret_file` (created once, atomically,
    so several workers started together agree on it)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = Path(settings.secret_file)
    for _ in range(50):
        with contextlib.suppress(FileNotFoundError):
            text = path.read_text().strip()
            if text:
                return text.encode()
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(temp, path)  # fails if another worker won the race: then read theirs
        except FileExistsError:
            pass
        finally:
            temp.unlink(missing_ok=True)
        time.sleep(0.01)
    raise RuntimeError(f"could not read or create the session key file {path}")


def codec_for(request: Request) -> SessionCodec:
    state = request.app.state
    codec = state.get("session_codec")
    if codec is None:
        codec = SessionCodec(load_secret(state.settings))
        state.session_codec = codec
    return codec


class Session(dict):
    """The decoded cookie: `token` and `language`."""

    @property
    def token(self) -> str | None:
        token = self.get("t")
        return token if isinstance(token, str) and 0 < len(token) <= 512 else None

    @property
    def language(self) -> str | None:
        language = self.get("l")
        return language if language in LANGUAGES else None


def session_of(request: Request) -> Session:
    cached = request.scope.get("lending_session")
    if cached is None:
        cached = Session(codec_for(request).loads(request.cookies.get(COOKIE)))
        request.scope["lending_session"] = cached  # type: ignore[typeddict-unknown-key]
    return cached


def cookies_secure(scope: Scope) -> bool:
    """Whether this request's cookies (the session's and the CSRF token's) are `Secure`:
    LENDING_SECURE_COOKIES when set, otherwise when the request arrived over HTTPS (directly or
    through a proxy that says so)."""
    configured = scope["app"].state.settings.secure_cookies
    if configured is not None:
        return configured
    headers = Headers.from_scope(scope)
    forwarded = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return scope.get("scheme") == "https" or forwarded == "https"


def store_session(request: Request, response: Response, data: dict[str, Any] | None) -> Response:
    """Write (or, with None, clear) the session cookie on `response`."""
    if data is None:
        response.delete_cookie(COOKIE, path="/")
        return response
    response.set_cookie(
        COOKIE,
        codec_for(request).dumps(data),
        path="/",
        httponly=True,
        samesite="lax",
        secure=cookies_secure(request.scope),
    )
    return response


async def page_actor(request: Request) -> Actor | None:
    """Who is logged in to the pages, or None (no cookie, bad signature, expired or revoked)."""
    if "lending_page_actor" in request.scope:
        return request.scope["lending_page_actor"]  # type: ignore[typeddict-item]
    actor: Actor | None = None
    token = session_of(request).token
    if token:
        with contextlib.suppress(Unauthenticated):
            actor = await authenticate(token, request.app.state.clock())
    request.scope["lending_page_actor"] = actor  # type: ignore[typeddict-unknown-key]
    return actor
