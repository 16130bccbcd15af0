"""JSON log lines (LENDING_LOG_FORMAT=json) and the request id middleware, without a database:
each record is one line of JSON with the time, level, logger, message and the request id; the
access line adds method, path, status and duration; no patron data gets in."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
from datetime import datetime

import pytest

from lending.http.logs import ACCESS_LOG, JsonFormatter, loggable_path, uvicorn_log_config
from lending.http.request_ids import RequestIds, request_id_of
from lending.services._common.request_context import current_request_id, request_id_scope
from lending.settings import Settings, SettingsError


def record(message: str = "hello %s", *args: object, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("lending.test", logging.WARNING, __file__, 1, message, args, None)
    rec.__dict__.update(extra)
    return rec


def line_of(rec: logging.LogRecord) -> dict:
    text = JsonFormatter().format(rec)
    assert "\n" not in text
    return json.loads(text)


# ---- the formatter ---------------------------------------------------------------------


def test_a_record_is_one_line_of_json_with_time_level_logger_and_message():
    line = line_of(record("hello %s", "desk"))

    assert line == {
        "time": line["time"],
        "level": "WARNING",
        "logger": "lending.test",
        "message": "hello desk",
    }
    assert line["time"].endswith("Z")
    assert datetime.fromisoformat(line["time"].replace("Z", "+00:00")).utcoffset().seconds == 0


def test_a_record_written_while_a_request_is_served_names_its_request_id():
    with request_id_scope("desk-7"):
        during = line_of(record())
    after = line_of(record())

    assert during["request_id"] == "desk-7"
    assert "request_id" not in after


def test_extra_fields_are_fields_of_the_line_and_odd_values_become_text():
    line = line_of(record(method="GET", status=200, duration_ms=1.5, when=datetime(2026, 12, 1)))

    assert (line["method"], line["status"], line["duration_ms"]) == ("GET", 200, 1.5)
    assert line["when"] == "2026-12-01 00:00:00"


def test_a_traceback_stays_inside_its_line():
    try:
        raise ValueError("boom")
    except ValueError:
        rec = record("failed")
        rec.exc_info = sys.exc_info()

    line = line_of(rec)

    assert line["message"] == "failed"
    assert "ValueError: boom" in line["exc"] and "Traceback" in line["exc"]


# ---- paths and ids ---------------------------------------------------------------------


def test_a_logged_path_is_the_route_template_and_never_a_card_or_a_query_string():
    routed = {"path": "/api/patrons/29876543210123", "path_template": "/api/patrons/{card}"}
    unrouted = {"path": "/api/patrons/29876543210123/oops", "query_string": b"card=1"}

    assert loggable_path(routed) == "/api/patrons/{card}"
    assert loggable_path(unrouted) == "/api/patrons/…"
    assert loggable_path({"path": "/api/health"}) == "/api/health"


@pytest.mark.parametrize("given", ["desk-7", "a", "kiosk:2.front_door-001", "x" * 64])
def test_a_sane_request_id_header_is_kept(given):
    assert request_id_of([(b"accept", b"*/*"), (b"x-request-id", given.encode())]) == given


@pytest.mark.parametrize("given", [b"", b"has spaces", b"x" * 65, b"a/b", b"\xc3\xbc", b"a\nb"])
def test_an_unusable_request_id_header_is_replaced_by_a_new_id(given):
    assert re.fullmatch(r"[0-9a-f]{32}", request_id_of([(b"x-request-id", given)]))


def test_new_request_ids_differ():
    assert len({request_id_of([]) for _ in range(100)}) == 100


# ---- the middleware --------------------------------------------------------------------


def _app_answering(status: int):
    async def app(scope, receive, send):
        app.seen.append(current_request_id())
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app.seen = []
    return app


def _run(middleware: RequestIds, inner, headers=()) -> tuple[list[dict], list]:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/api/x", "headers": list(headers)}
    asyncio.run(middleware(scope, receive, send))
    return sent, inner.seen


def test_the_middleware_makes_the_id_current_and_puts_it_on_the_response():
    inner = _app_answering(404)

    sent, seen = _run(RequestIds(inner), inner, [(b"x-request-id", b"desk-7")])

    assert seen == ["desk-7"]
    assert (b"x-request-id", b"desk-7") in sent[0]["headers"]
    assert current_request_id() is None  # only while the request is served


def test_the_middleware_writes_one_access_line_per_request_when_asked(caplog):
    inner = _app_answering(409)
    caplog.set_level(logging.INFO, logger=ACCESS_LOG.name)

    _run(RequestIds(inner, access_log=True), inner, [(b"x-request-id", b"desk-7")])
    _run(RequestIds(inner), inner)  # text logs: uvicorn writes the access line

    [access] = [r for r in caplog.records if r.name == ACCESS_LOG.name]
    line = line_of(access)
    assert line["message"] == "GET /api/x 409"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/x", 409)
    assert isinstance(line["duration_ms"], float)


def test_an_access_line_is_written_even_when_the_app_fails(caplog):
    async def failing(scope, receive, send):
        raise RuntimeError("boom")

    failing.seen = []
    caplog.set_level(logging.INFO, logger=ACCESS_LOG.name)

    with pytest.raises(RuntimeError):
        _run(RequestIds(failing, access_log=True), failing)

    [access] = [r for r in caplog.records if r.name == ACCESS_LOG.name]
    assert access.status == 500


# ---- the setting and uvicorn's config --------------------------------------------------


def test_log_format_is_text_unless_json_is_asked_for_and_nothing_else_is_accepted():
    assert Settings.from_env({}).log_format == "text"
    assert Settings.from_env({"LENDING_LOG_FORMAT": "JSON "}).log_format == "json"
    assert Settings.from_env({"LENDING_LOG_FORMAT": "text"}).log_format == "text"
    with pytest.raises(SettingsError, match="LENDING_LOG_FORMAT must be text or json"):
        Settings.from_env({"LENDING_LOG_FORMAT": "xml"})


def test_uvicorn_writes_json_and_its_own_access_log_stays_off():
    config = uvicorn_log_config(access_log=True)
    silenced = uvicorn_log_config(access_log=False)

    assert config["formatters"]["json"]["()"] == "lending.http.logs.JsonFormatter"
    assert config["loggers"]["uvicorn"]["handlers"] == ["stderr"]
    assert config["loggers"]["uvicorn.access"]["handlers"] == []
    assert config["loggers"]["lending.access"]["level"] == "INFO"
    assert silenced["loggers"]["lending.access"]["level"] == "WARNING"
