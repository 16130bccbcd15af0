"""One typed settings object, read from the environment (LENDING_*)."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["DEFAULT_DATABASE_URL", "Settings", "SettingsError"]

DEFAULT_DATABASE_URL = "sqlite:///lending.sqlite3"


class SettingsError(ValueError):
    pass


def _int(env: dict[str, str], name: str, default: int, low: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < low:
        raise SettingsError(f"{name} must be at least {low}")
    return value


def _port(env: dict[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value > 65535:
        raise SettingsError(f"{name} must be at most 65535")
    return value


def _optional_bool(env: dict[str, str], name: str) -> bool | None:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return None
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


def _url(env: dict[str, str], name: str) -> str:
    raw = (env.get(name) or "").strip()
    if raw and not raw.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must start with http:// or https://")
    return raw


CARRIER_GATEWAYS = ("manual", "webhook")


def _carrier(env: dict[str, str]) -> dict[str, object]:
    """LENDING_CARRIER_*: the gateway that suspends and restores hotspot lines."""
    gateway = (env.get("LENDING_CARRIER_GATEWAY") or "manual").strip().lower()
    if gateway not in CARRIER_GATEWAYS:
        raise SettingsError(f"LENDING_CARRIER_GATEWAY must be manual or webhook, not {gateway!r}")
    url = _url(env, "LENDING_CARRIER_WEBHOOK_URL")
    secret = env.get("LENDING_CARRIER_WEBHOOK_SECRET", "")
    if gateway == "webhook" and not (url and secret):
        raise SettingsError(
            "LENDING_CARRIER_GATEWAY=webhook needs LENDING_CARRIER_WEBHOOK_URL and "
            "LENDING_CARRIER_WEBHOOK_SECRET"
        )
    return {
        "carrier_gateway": gateway,
        "carrier_webhook_url": url,
        "carrier_webhook_secret": secret,
        "carrier_daily_limit": _int(env, "LENDING_CARRIER_DAILY_LIMIT", 5),
        "carrier_max_attempts": _int(env, "LENDING_CARRIER_MAX_ATTEMPTS", 8),
    }


BARCODE_SYMBOLOGIES = ("code128", "codabar", "code39")


def _labels(env: dict[str, str]) -> dict[str, str]:
    """LENDING_BARCODE_SYMBOLOGY, LENDING_SUPPORT_PHONE (default: the library's phone) and
    LENDING_LABELS_DIR (label templates; default: labels/ beside the package)."""
    symbology = (env.get("LENDING_BARCODE_SYMBOLOGY") or "code128").strip().lower()
    if symbology not in BARCODE_SYMBOLOGIES:
        raise SettingsError(
            f"LENDING_BARCODE_SYMBOLOGY must be code128, codabar or code39, not {symbology!r}"
        )
    labels_dir = (env.get("LENDING_LABELS_DIR") or "").strip()
    if labels_dir and not os.path.isdir(labels_dir):
        raise SettingsError(f"LENDING_LABELS_DIR {labels_dir!r} is not a folder")
    phone = (env.get("LENDING_SUPPORT_PHONE") or env.get("LENDING_LIBRARY_PHONE") or "").strip()
    return {"barcode_symbology": symbology, "support_phone": phone, "labels_dir": labels_dir}


def _networks(env: dict[str, str], name: str) -> tuple[str, ...]:
    """A list of CIDRs (or single addresses), separated by commas or spaces, checked."""
    raw = (env.get(name) or "").replace(",", " ").split()
    try:
        return tuple(str(ipaddress.ip_network(item, strict=False)) for item in raw)
    except ValueError:
        raise SettingsError(f"{name} must be IP addresses or CIDRs, not {env[name]!r}") from None


def _throttling(env: dict[str, str]) -> dict[str, object]:
    """LENDING_LOGIN_* limits, LENDING_TRUSTED_PROXIES and the hash worker pool."""
    return {
        "login_max_failures": _int(env, "LENDING_LOGIN_MAX_FAILURES", 5),
        "login_window_minutes": _int(env, "LENDING_LOGIN_WINDOW_MINUTES", 15),
        "login_client_max_failures": _int(env, "LENDING_LOGIN_CLIENT_MAX_FAILURES", 20),
        "login_requests_per_minute": _int(env, "LENDING_LOGIN_REQUESTS_PER_MINUTE", 30),
        "trusted_proxies": _networks(env, "LENDING_TRUSTED_PROXIES"),
        "hash_workers": _int(env, "LENDING_HASH_WORKERS", Settings.hash_workers),
        "verify_log": (env.get("LENDING_VERIFY_LOG") or "").strip(),
    }


def _sip2(env: dict[str, str]) -> dict[str, object]:
    """LENDING_SIP2_*: the SIP2 server for kiosks and lockers (lending/sip2), and
    LENDING_PATRON_SOURCE: an ILS that library cards are checked against."""
    cert = (env.get("LENDING_SIP2_TLS_CERT") or "").strip()
    key = (env.get("LENDING_SIP2_TLS_KEY") or "").strip()
    if bool(cert) != bool(key):
        raise SettingsError("LENDING_SIP2_TLS_CERT and LENDING_SIP2_TLS_KEY go together")
    for name, path in (("LENDING_SIP2_TLS_CERT", cert), ("LENDING_SIP2_TLS_KEY", key)):
        if path and not os.path.isfile(path):
            raise SettingsError(f"{name} {path!r} is not a file")
    source = (env.get("LENDING_PATRON_SOURCE") or "").strip()
    if source and not source.startswith(("sip2://", "sip2s://")):
        raise SettingsError("LENDING_PATRON_SOURCE must start with sip2:// (or sip2s:// for TLS)")
    return {
        "sip2_serve": bool(_optional_bool(env, "LENDING_SIP2_SERVE")),
        "sip2_host": (env.get("LENDING_SIP2_HOST") or "127.0.0.1").strip(),
        "sip2_port": _port(env, "LENDING_SIP2_PORT", 6001),
        "sip2_tls_cert": cert,
        "sip2_tls_key": key,
        "sip2_idle_seconds": _int(env, "LENDING_SIP2_IDLE_SECONDS", 300),
        "sip2_status_before_login": _optional_bool(env, "LENDING_SIP2_STATUS_BEFORE_LOGIN")
        is not False,
        "patron_source": source,
        "patron_source_timeout": _int(env, "LENDING_PATRON_SOURCE_TIMEOUT_SECONDS", 5),
        "patron_source_cache_seconds": _int(env, "LENDING_PATRON_SOURCE_CACHE_SECONDS", 300, 0),
    }


HOLD_SLIP_NAMES = ("full", "initials")


def _hold_slip_name(env: dict[str, str]) -> str:
    """LENDING_HOLD_SLIP_NAME: how a hold slip on the hold shelf names the patron."""
    value = (env.get("LENDING_HOLD_SLIP_NAME") or "initials").strip().lower()
    if value not in HOLD_SLIP_NAMES:
        raise SettingsError(f"LENDING_HOLD_SLIP_NAME must be full or initials, not {value!r}")
    return value


LOG_FORMATS = ("text", "json")


def _log_format(env: dict[str, str]) -> str:
    """LENDING_LOG_FORMAT: `text` (uvicorn's and Litestar's lines) or `json` (JSON lines, with
    the request id: lending/http/logs.py)."""
    value = (env.get("LENDING_LOG_FORMAT") or "text").strip().lower()
    if value not in LOG_FORMATS:
        raise SettingsError(f"LENDING_LOG_FORMAT must be text or json, not {value!r}")
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = "America/Chicago"
    library_name: str = "Public Library"
    staff_token_minutes: int = 12 * 60
    resident_token_minutes: int = 60
    login_max_failures: int = 5  # failed logins per account per window, then 429
    login_window_minutes: int = 15
    login_client_max_failures: int = 20  # failed logins per client (any accounts) per window
    login_requests_per_minute: int = 30  # login requests per client per server process
    # Proxies whose X-Forwarded-For names the client (CIDRs); anyone else's header is ignored.
    trusted_proxies: tuple[str, ...] = ()
    hash_workers: int = 1  # threads per server process that run Argon2 (off the event loop)
    # When set, a file that gets one line per hash verification (tests and benchmarks count them).
    verify_log: str = ""
    run_jobs: bool = True
    anonymize_after_days: int = 90
    # Enrolments, agreements and attendance of a program lose their patrons this many days after
    # the program ends (a funder that wants the records kept longer: set it longer).
    program_anonymize_after_days: int = 90
    # Patron notices: email over SMTP, SMS through a webhook gateway (lending.notify).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool | None = None  # None: upgrade when the server offers STARTTLS
    mail_from: str = ""
    sms_webhook_url: str = ""
    sms_webhook_token: str = field(default="", repr=False)
    library_phone: str = ""
    renew_url: str = ""
    admin_email: str = ""
    # A local outbox (LENDING_OUTBOX_DIR): notices whose email/SMS is not set up are written there
    # as files instead, for trying the system (`make run`); patrons receive nothing from it.
    outbox_dir: str = ""
    # Labels (lending.printing): symbology, hotspot support phone, template folder ("" = labels/).
    barcode_symbology: str = "code128"
    support_phone: str = ""
    labels_dir: str = ""
    hold_slip_name: str = "initials"  # the desk's hold slips: "full" name or "initials"
    schedules: dict[str, str] = field(default_factory=dict)  # job name -> seconds or crontab
    # Carrier gateway for hotspot lines (lending.carrier): manual staff tasks or a webhook.
    carrier_gateway: str = "manual"
    carrier_webhook_url: str = ""
    carrier_webhook_secret: str = field(default="", repr=False)
    carrier_daily_limit: int = 5  # actions per line in any 24 hours
    carrier_max_attempts: int = 8
    # Web pages: the key that signs session cookies (LENDING_SECRET_KEY); when unset, a random key
    # is kept in `secret_file`, shared by every worker started from the same folder.
    secret_key: str = field(default="", repr=False)
    secret_file: str = "lending-secret.key"
    secure_cookies: bool | None = None  # None: Secure when the request arrived over HTTPS
    # SIP2 server (lending/sip2): started beside the web server when `sip2_serve`.
    sip2_serve: bool = False
    sip2_host: str = "127.0.0.1"
    sip2_port: int = 6001
    sip2_tls_cert: str = ""
    sip2_tls_key: str = ""
    sip2_idle_seconds: int = 300  # a session that sends nothing this long is closed
    sip2_status_before_login: bool = True  # answer 99 before 93 (some terminals send it first)
    # An ILS that library cards are checked against (sip2://ACCOUNT:PASSWORD@HOST:PORT?...).
    patron_source: str = field(default="", repr=False)
    patron_source_timeout: int = 5
    patron_source_cache_seconds: int = 300
    log_format: str = "text"  # "json": one JSON object per log line on stderr
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        timezone = env.get("LENDING_TIMEZONE") or cls.timezone
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"LENDING_TIMEZONE {timezone!r} is not an IANA time zone") from None
        url = env.get("LENDING_DATABASE_URL") or DEFAULT_DATABASE_URL
        if not url.startswith(("sqlite://", "postgres://", "postgresql://")):
            raise SettingsError("LENDING_DATABASE_URL must start with sqlite:/// or postgresql://")
        return cls(
            database_url=url,
            **_carrier(env),
            **_throttling(env),
            **_sip2(env),
            timezone=timezone,
            library_name=env.get("LENDING_LIBRARY_NAME") or cls.library_name,
            staff_token_minutes=_int(env, "LENDING_STAFF_TOKEN_MINUTES", cls.staff_token_minutes),
            resident_token_minutes=_int(
                env, "LENDING_RESIDENT_TOKEN_MINUTES", cls.resident_token_minutes
            ),
            run_jobs=env.get("LENDING_RUN_JOBS", "1") not in ("0", "false", "no"),
            schedules={
                k.removeprefix("LENDING_SCHEDULE_").lower(): v
                for k, v in env.items()
                if k.startswith("LENDING_SCHEDULE_") and v
            },
            anonymize_after_days=_int(
                env, "LENDING_ANONYMIZE_AFTER_DAYS", cls.anonymize_after_days
            ),
            program_anonymize_after_days=_int(
                env, "LENDING_PROGRAM_ANONYMIZE_AFTER_DAYS", cls.program_anonymize_after_days
            ),
            smtp_host=env.get("LENDING_SMTP_HOST", "").strip(),
            smtp_port=_port(env, "LENDING_SMTP_PORT", cls.smtp_port),
            smtp_username=env.get("LENDING_SMTP_USERNAME", ""),
            smtp_password=env.get("LENDING_SMTP_PASSWORD", ""),
            smtp_starttls=_optional_bool(env, "LENDING_SMTP_STARTTLS"),
            mail_from=env.get("LENDING_MAIL_FROM", "").strip(),
            sms_webhook_url=_url(env, "LENDING_SMS_WEBHOOK_URL"),
            sms_webhook_token=env.get("LENDING_SMS_WEBHOOK_TOKEN", ""),
            library_phone=env.get("LENDING_LIBRARY_PHONE", "").strip(),
            renew_url=_url(env, "LENDING_RENEW_URL"),
            admin_email=env.get("LENDING_ADMIN_EMAIL", "").strip(),
            outbox_dir=env.get("LENDING_OUTBOX_DIR", "").strip(),
            **_labels(env),
            hold_slip_name=_hold_slip_name(env),
            log_format=_log_format(env),
            secret_key=env.get("LENDING_SECRET_KEY", ""),
            secret_file=env.get("LENDING_SECRET_FILE") or cls.secret_file,
            secure_cookies=_optional_bool(env, "LENDING_SECURE_COOKIES"),
        )

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))
