"""The webhook gateway: a signed JSON POST per action.

Body: {"action", "iccid", "phone_number", "carrier", "request_id"} (compact JSON, sorted keys).
Headers: `X-Lending-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the shared
secret>` and `X-Lending-Timestamp: <Unix seconds>`. Any 2xx reply is success; anything else
(another status, a timeout, a refused connection) is a failure, retried by the job."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import ClassVar

from .base import CarrierGateway, CarrierRequest, GatewayError

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "WebhookGateway", "sign"]

SIGNATURE_HEADER = "X-Lending-Signature"
TIMESTAMP_HEADER = "X-Lending-Timestamp"
FIELDS = ("action", "iccid", "phone_number", "carrier", "request_id")


def sign(body: bytes, secret: str) -> str:
    """The signature header value for `body`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookGateway(CarrierGateway):
    name: ClassVar[str] = "webhook"

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not url:
            raise ValueError("the webhook gateway needs a URL (LENDING_CARRIER_WEBHOOK_URL)")
        if not secret:
            raise ValueError("the webhook gateway needs a secret (LENDING_CARRIER_WEBHOOK_SECRET)")
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.clock = clock

    def body(self, action: CarrierRequest) -> bytes:
        payload = {name: action[name] for name in FIELDS}
        return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()

    async def perform(self, action: CarrierRequest) -> str:
        import httpx  # here, not at import: serving processes that never call out skip it

        body = self.body(action)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, self.secret),
            TIMESTAMP_HEADER: str(int(self.clock())),
        }
        try:
            async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
                response = await client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise GatewayError(f"no reply within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise GatewayError(f"could not reach the carrier gateway: {exc}") from None
        reply = response.text[:200].strip()
        if not 200 <= response.status_code < 300:
            raise GatewayError(f"HTTP {response.status_code}: {reply}".rstrip(": "))
        return f"HTTP {response.status_code}" + (f": {reply}" if reply else "")
