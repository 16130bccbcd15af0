"""Delivery channels: email over SMTP (aiosmtplib) and SMS through a webhook gateway (httpx).

A channel raises DeliveryError when a message did not go out; `down` says the server could not be
reached at all, so the rest of the run does not wait for it again (every later message on that
channel fails at once with the same error and is retried on a later run)."""

from __future__ import annotations

import contextlib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import TYPE_CHECKING, Any

import aiosmtplib

if TYPE_CHECKING:  # imported when a message is sent: serving processes never load httpx
    import httpx

__all__ = ["Channels", "DeliveryError", "EmailChannel", "SmsChannel"]

SMTP_TIMEOUT_S = 30.0
SMS_TIMEOUT_S = 10.0


class DeliveryError(Exception):
    def __init__(self, message: str, *, down: bool = False) -> None:
        super().__init__(message)
        self.down = down


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class EmailChannel:
    """Plain-text email through one SMTP connection per run (opened on first use)."""

    name = "email"

    def __init__(self, settings: Any) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.username = settings.smtp_username or None
        self.password = settings.smtp_password or None
        self.starttls = settings.smtp_starttls
        self.sender = settings.mail_from
        self.sender_name = settings.library_name
        self._smtp: aiosmtplib.SMTP | None = None
        self._down: DeliveryError | None = None

    @property
    def problem(self) -> str | None:
        """Why this channel cannot send at all (settings missing), or None."""
        missing = [
            name
            for name, value in (
                ("LENDING_SMTP_HOST", self.host),
                ("LENDING_MAIL_FROM", self.sender),
            )
            if not value
        ]
        if missing:
            return f"Email is not set up: set {' and '.join(missing)}."
        return None

    def message(
        self, to: str, subject: str, body: str, now: datetime, language: str = "en"
    ) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = (
            formataddr((self.sender_name, self.sender)) if self.sender_name else self.sender
        )
        msg["To"] = to
        msg["Subject"] = " ".join(subject.split())
        msg["Date"] = format_datetime(now)
        msg["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        msg["Content-Language"] = language
        msg.set_content(body)
        return msg

    async def _connection(self) -> aiosmtplib.SMTP:
        if self._down is not None:
            raise self._down
        if self._smtp is not None and self._smtp.is_connected:
            return self._smtp
        smtp = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.port == 465,
            start_tls=False if self.port == 465 else self.starttls,
            timeout=SMTP_TIMEOUT_S,
        )
        try:
            await smtp.connect()
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            self._down = DeliveryError(
                f"SMTP server {self.host}:{self.port} unreachable: {_describe(exc)}", down=True
            )
            raise self._down from exc
        self._smtp = smtp
        return smtp

    async def send(
        self, to: str, subject: str, body: str, now: datetime, language: str = "en"
    ) -> None:
        if self.problem:
            raise DeliveryError(self.problem)
        try:
            message = self.message(to, subject, body, now, language)
        except (ValueError, TypeError) as exc:  # a header the email library refuses
            raise DeliveryError(f"Message not valid: {_describe(exc)}") from exc
        smtp = await self._connection()
        try:
            await smtp.send_message(message)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self._drop()
            raise DeliveryError(f"SMTP error: {_describe(exc)}") from exc

    async def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                smtp.close()

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None and smtp.is_connected:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                smtp.close()


class SmsChannel:
    """A text message: HTTP POST of JSON {"to", "body"} to the gateway; any 2xx is success."""

    name = "sms"

    def __init__(self, settings: Any) -> None:
        self.url = settings.sms_webhook_url
        self.token = settings.sms_webhook_token
        self._client: httpx.AsyncClient | None = None
        self._down: DeliveryError | None = None

    @property
    def problem(self) -> str | None:
        if not self.url:
            return "SMS is not set up: set LENDING_SMS_WEBHOOK_URL."
        return None

    async def send(self, to: str, body: str) -> None:
        if self.problem:
            raise DeliveryError(self.problem)
        if self._down is not None:
            raise self._down
        import httpx

        if self._client is None:
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            self._client = httpx.AsyncClient(timeout=SMS_TIMEOUT_S, headers=headers)
        try:
            response = await self._client.post(self.url, json={"to": to, "body": body})
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            self._down = DeliveryError(f"SMS gateway unreachable: {_describe(exc)}", down=True)
            raise self._down from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"SMS gateway error: {_describe(exc)}") from exc
        if not response.is_success:
            raise DeliveryError(
                f"SMS gateway answered {response.status_code}: {response.text[:200].strip()}"
            )

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()


class Channels:
    """The channels for one delivery run; `async with` closes their connections."""

    def __init__(self, settings: Any) -> None:
        self.email = EmailChannel(settings)
        self.sms = SmsChannel(settings)

    def problem(self, channel: str) -> str | None:
        return self.email.problem if channel == "email" else self.sms.problem

    async def __aenter__(self) -> Channels:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.email.close()
        await self.sms.close()
