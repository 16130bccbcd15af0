"""Structured logs (LENDING_LOG_FORMAT=json): one JSON object per line on stderr.

Every line has `time` (ISO 8601, UTC), `level`, `logger` and `message`, `request_id` when it
was written while a request was served (lending/http/request_ids.py), `exc` with the traceback
when there is one, and the record's extra fields: the access line of each request
(logger `lending.access`) adds `method`, `path`, `status` and `duration_ms`.

`path` never holds patron data: it is the route's template where a route matched
(`/api/patrons/{card_number}`, not the card), and only the first two segments of an
address no route matched; never the query string.

`lending serve` passes `uvicorn_log_config()` to uvicorn (its own loggers), and the app passes
`app_logging_config()` to Litestar, which configures the root logger (the `lending.*` loggers).
Text (the default) leaves both as they were.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..services._common.request_context import current_request_id

if TYPE_CHECKING:
    from litestar.logging.config import LoggingConfig

__all__ = [
    "ACCESS_LOG",
    "JsonFormatter",
    "app_logging_config",
    "loggable_path",
    "uvicorn_log_config",
]

ACCESS_LOG = logging.getLogger("lending.access")

_FORMATTER = f"{__name__}.JsonFormatter"
# What every record has: anything else on a record is an extra field of its own.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's coloured copy of `message`
    "request_id",
}


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id is not None:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


def loggable_path(scope: Any) -> str:
    """The request's path for a log line, without patron data (see the module's text)."""
    template = scope.get("path_template")
    if template:
        return template
    path: str = scope.get("path") or "/"
    parts = path.split("/", 3)
    return path if len(parts) <= 3 else "/".join(parts[:3]) + "/…"


def uvicorn_log_config(*, access_log: bool) -> dict[str, Any]:
    """uvicorn's `log_config` for JSON lines: its loggers and the root logger write JSON to
    stderr. uvicorn's own access log stays off (its line holds the query string): the app
    writes one per request to `lending.access`, at INFO when `access_log`, else silenced.
    uvicorn sets its loggers' levels from `--log-level` after this."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": _FORMATTER}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "propagate": False},  # levels: --log-level
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            ACCESS_LOG.name: {"level": "INFO" if access_log else "WARNING"},
        },
        "root": {"handlers": ["stderr"], "level": "INFO"},
    }


def app_logging_config() -> LoggingConfig:
    """Litestar's logging (the root logger and `litestar`) with JSON lines in place of its
    text format; everything else as Litestar's default (a queue, so writes never block).
    (Litestar is imported here: `lending serve` reads this module without loading it.)"""
    from litestar.logging.config import LoggingConfig

    return LoggingConfig(formatters={"standard": {"()": _FORMATTER}})
