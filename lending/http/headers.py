"""Security headers on every response: API, pages, static files, errors, 404 and 405.

A Litestar `before_send` hook, not a middleware: Litestar runs app middleware only for routes it
found, so a 404 or 405 would go out bare, while `before_send` sees every response the app sends.

- `Content-Security-Policy`: only this origin's scripts, styles, images and forms, no plugins,
  no `<base>`, and `frame-ancestors 'none'` (no page can frame ours). The one inline stylesheet
  (the checkout receipt's, the same text on the desk page and the API's receipt.html) is
  allowed by its hash. The interactive API docs under /schema get their own policy: Swagger UI's
  script and CSS from its CDN (that release's folder only), and its inline script by a nonce
  made for that response.
- `X-Frame-Options: DENY` for browsers without `frame-ancestors`, `X-Content-Type-Options:
  nosniff`, `Referrer-Policy: same-origin`.
- `Strict-Transport-Security` only over HTTPS: the request's scheme (uvicorn sets it from
  `X-Forwarded-Proto` when the proxy is in LENDING_TRUSTED_PROXIES, see `lending serve`) or
  LENDING_SECURE_COOKIES=1, which says the site is served over HTTPS.

Not PyPI `secure`: its ASGI middleware applies one fixed set of headers to every response,
while these differ per request (HSTS by scheme, the docs' policy and nonce), and Litestar (2.25)
has no security-headers option of its own; the headers themselves are a few constant strings.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any

from litestar import Request
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.types import Message, Scope

from ..printing import receipt

__all__ = ["DOCS_PREFIX", "NoncedSwaggerRenderPlugin", "csp_nonce", "security_headers"]

DOCS_PREFIX = "/schema"
CDN = "https://cdn.jsdelivr.net"
SWAGGER_VERSION = "5.18.2"  # Litestar 2.25's default; the policy names this one release
SWAGGER_DIST = f"{CDN}/npm/swagger-ui-dist@{SWAGGER_VERSION}/"
HSTS = "max-age=31536000; includeSubDomains"
_NONCE_KEY = "lending_csp_nonce"


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _inline_styles() -> list[str]:
    """Hashes of the inline stylesheets the app serves: the receipt's (see lending.printing)."""
    return [_sha256(css) for css in re.findall(r"<style>(.*?)</style>", receipt._HTML, re.S)]


def _policy(**directives: list[str]) -> str:
    return "; ".join(
        f"{name.replace('_', '-')} {' '.join(values)}" for name, values in directives.items()
    )


_COMMON = {
    "object_src": ["'none'"],
    "base_uri": ["'none'"],
    "frame_ancestors": ["'none'"],
}
PAGE_POLICY = _policy(
    default_src=["'self'"],
    script_src=["'self'"],
    style_src=["'self'", *_inline_styles()],
    img_src=["'self'", "data:"],
    form_action=["'self'"],
    **_COMMON,
)


def _docs_policy(nonce: str | None) -> str:
    scripts = [SWAGGER_DIST] + ([f"'nonce-{nonce}'"] if nonce else [])
    return _policy(
        default_src=["'self'"],
        script_src=scripts,
        # Swagger UI's CSS from the CDN, its small inline stylesheet and the style attributes
        # its widgets set (no nonce here: a nonce would switch 'unsafe-inline' off).
        style_src=["'self'", SWAGGER_DIST, "'unsafe-inline'"],
        img_src=["'self'", "data:", CDN],  # Litestar's favicon
        form_action=["'self'"],
        **_COMMON,
    )


def csp_nonce(scope: Scope) -> str:
    """A nonce for inline scripts in this response (made once per request); the
    Content-Security-Policy of the response then allows it."""
    nonce = scope.get(_NONCE_KEY)  # type: ignore[call-overload]
    if nonce is None:
        nonce = secrets.token_urlsafe(18)
        scope[_NONCE_KEY] = nonce  # type: ignore[literal-required]
    return nonce


def _is_https(scope: Scope) -> bool:
    if scope.get("scheme") == "https":
        return True
    app = scope.get("app")
    return bool(app is not None and app.state.settings.secure_cookies)


def _values(scope: Scope) -> list[tuple[bytes, bytes]]:
    path = scope.get("path", "")
    if path == DOCS_PREFIX or path.startswith(DOCS_PREFIX + "/"):
        policy = _docs_policy(scope.get(_NONCE_KEY))  # type: ignore[call-overload]
    else:
        policy = PAGE_POLICY
    values = [
        (b"content-security-policy", policy.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
    ]
    if _is_https(scope):
        values.append((b"strict-transport-security", HSTS.encode()))
    return values


async def security_headers(message: Message, scope: Scope) -> None:
    """`before_send` hook: set the security headers on the start of every HTTP response,
    replacing any a handler set."""
    if message["type"] != "http.response.start":
        return
    ours = _values(scope)
    names = {name for name, _ in ours}
    kept = [(n, v) for n, v in message.get("headers", []) if bytes(n).lower() not in names]
    message["headers"] = kept + ours  # type: ignore[typeddict-item]


class NoncedSwaggerRenderPlugin(SwaggerRenderPlugin):
    """Litestar's Swagger UI page with a CSP nonce on its inline script (the one that starts
    Swagger UI with this app's OpenAPI document), loading the Swagger UI release the policy
    names."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(version=SWAGGER_VERSION, **kwargs)

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        page = super().render(request, openapi_schema)
        nonce = csp_nonce(request.scope).encode()
        return page.replace(b"<script type='text/javascript'>", b"<script nonce='" + nonce + b"'>")
