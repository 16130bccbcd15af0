"""One typed settings object, read from the environment (LENDING_*)."""

from __future__ import annotations

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


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = "America/Chicago"
    library_name: str = "Public Library"
    staff_token_minutes: int = 12 * 60
    resident_token_minutes: int = 60
    login_max_failures: int = 5
    login_window_minutes: int = 15
    run_jobs: bool = True
    anonymize_after_days: int = 90
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
            timezone=timezone,
            library_name=env.get("LENDING_LIBRARY_NAME") or cls.library_name,
            staff_token_minutes=_int(env, "LENDING_STAFF_TOKEN_MINUTES", cls.staff_token_minutes),
            resident_token_minutes=_int(
                env, "LENDING_RESIDENT_TOKEN_MINUTES", cls.resident_token_minutes
            ),
            run_jobs=env.get("LENDING_RUN_JOBS", "1") not in ("0", "false", "no"),
            anonymize_after_days=_int(
                env, "LENDING_ANONYMIZE_AFTER_DAYS", cls.anonymize_after_days
            ),
        )

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))
