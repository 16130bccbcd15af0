"""The `lending` command: serve, migrate, demo, staff, jobs, labels."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import warnings
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .circulation import FieldError, Invalid, LendingError
from .circulation.codes import Code
from .settings import Settings, SettingsError

__all__ = ["main"]

CLI_ACTOR_NAME = "cli"


def _now() -> datetime:
    return datetime.now(UTC)


class DatabaseUnreachable(Exception):
    """The database named by LENDING_DATABASE_URL cannot be opened or connected to."""


# SQLSTATE classes that mean "no usable connection": 08 connection exception, 28 invalid
# authorization (wrong user or password), 3D000 no such database, 53300 too many connections,
# 57P0x the server is shutting down or starting up.
_CONNECTION_SQLSTATES = ("08", "28", "3D000", "53300", "57P0")


def _is_connection_failure(exc: BaseException) -> bool:
    if isinstance(exc, DatabaseUnreachable | OSError | TimeoutError):
        return True
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(_CONNECTION_SQLSTATES):
        return True
    return isinstance(exc, sqlite3.OperationalError) and "unable to open" in str(exc)


def _sqlite_path(settings: Settings) -> Path | None:
    if settings.is_postgres:
        return None
    return Path(settings.database_url.removeprefix("sqlite:///") or "lending.sqlite3")


async def _with_database(
    settings: Settings, work: Callable[[], Awaitable[Any]], *, migrated: bool = True
) -> Any:
    """Connect (or say plainly that we cannot), check that the database is migrated (unless
    `migrated=False`), run `work`, close the pool."""
    from .database import bind_engine, make_engine
    from .services.library.migrations import ensure_migrated

    path = _sqlite_path(settings)
    if path is not None and not path.parent.is_dir():
        raise DatabaseUnreachable(f"the folder {str(path.parent)!r} does not exist")
    try:
        engine = bind_engine(make_engine(settings.database_url))
        if settings.is_postgres:
            await engine.start_connection_pool(min_size=1, max_size=4)
        await engine.run_ddl("SELECT 1")
    except Exception as exc:
        if _is_connection_failure(exc):
            raise DatabaseUnreachable(_reason(exc)) from exc
        raise
    try:
        if migrated:
            await ensure_migrated()
        return await work()
    finally:
        if settings.is_postgres:
            await engine.close_connection_pool()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, DatabaseUnreachable):
        return str(exc)
    return str(exc) or type(exc).__name__


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from .services.library.migrations import migrate

    async def work() -> list[str]:
        return await migrate(settings.database_url)

    applied = asyncio.run(_with_database(settings, work, migrated=False))
    print(f"Database is up to date ({len(applied)} migration(s) applied now).")
    return 0


def _serve_problem(settings: Settings) -> int:
    """Say why the database cannot be served yet (1), or 0 when it can."""
    from .services.library.migrations import pending_migrations

    path = _sqlite_path(settings)
    if path is not None and not path.exists():  # say so without leaving an empty file behind
        problem: str | None = "the file does not exist yet"
    else:
        pending = asyncio.run(_with_database(settings, pending_migrations, migrated=False))
        problem = f"{len(pending)} migration(s) pending" if pending else None
    if problem:
        print(
            f"lending: the database ({_where(settings)}) is not migrated ({problem}). "
            "Run `lending migrate` first.",
            file=sys.stderr,
        )
        return 1
    return 0


def _check_then_exit() -> None:
    """The serve checks, in a child process (see `cmd_serve`)."""
    sys.exit(main(["serve", "--check-only"]))


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    if args.check_only:
        return _serve_problem(settings)
    if args.workers > 1:
        # The parent only supervises the workers: the checks run in a child process, so it
        # never imports the app, Piccolo's migration machinery or the database driver (that
        # would stay resident in it for the server's lifetime, ~20 MB).
        import multiprocessing

        child = multiprocessing.get_context("spawn").Process(target=_check_then_exit)
        child.start()
        child.join()
        if child.exitcode != 0:
            return child.exitcode if child.exitcode and child.exitcode > 0 else 1
    elif _serve_problem(settings):
        return 1
    import uvicorn

    log_options: dict[str, Any] = {}
    if settings.log_format == "json":
        # JSON lines on stderr (lending/http/logs.py): uvicorn's loggers through this config,
        # the app's through Litestar's; the access line comes from the app (with the request
        # id, without the query string), so uvicorn's own stays off.
        from .http.logs import uvicorn_log_config

        log_options = {"log_config": uvicorn_log_config(access_log=args.access_log)}
    print(f"Serving lending on http://{args.host}:{args.port} (database: {_where(settings)})")
    uvicorn.run(
        "lending.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=args.access_log and settings.log_format != "json",
        **log_options,
        # uvicorn takes the scheme (X-Forwarded-Proto) and client (X-Forwarded-For) only from
        # the proxies the app trusts (LENDING_TRUSTED_PROXIES; none by default), never from
        # its own default (127.0.0.1), so both agree on who the client is.
        proxy_headers=True,
        forwarded_allow_ips=",".join(settings.trusted_proxies),
    )
    return 0


def _where(settings: Settings) -> str:
    url = settings.database_url
    if "@" in url:  # hide credentials
        scheme, _, rest = url.partition("://")
        url = f"{scheme}://…@{rest.rpartition('@')[2]}"
    return url


def cmd_staff_add(settings: Settings, args: argparse.Namespace) -> int:
    from .schemas.base import StaffOut
    from .services.actors import Actor
    from .services.people.staff import add_staff

    actor = Actor(CLI_ACTOR_NAME, "system")

    async def work() -> StaffOut:
        return await add_staff(
            actor,
            _now(),
            username=args.username,
            role=args.role,
            password=args.password,
            partner=args.partner,
        )

    user = asyncio.run(_with_database(settings, work))
    of = f" of partner {user.partner}" if user.partner else ""
    print(f"Added {user.role} account {user.username!r}{of}.")
    return 0


def _parse_now(text: str | None) -> datetime:
    if not text:
        return _now()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(
            [FieldError("--now", f"{text!r} is not an ISO time, e.g. 2026-12-01T09:00:00-06:00")]
        ) from None
    if when.tzinfo is None:
        raise Invalid([FieldError("--now", "give the time with its UTC offset, e.g. -06:00")])
    return when


def cmd_jobs_run(settings: Settings, args: argparse.Namespace) -> int:
    from .jobs import run_job
    from .schemas.jobs import JobRunReply

    now = _parse_now(args.now)

    async def work() -> JobRunReply:
        return await run_job(args.name, now, settings, trigger="cli")

    result = asyncio.run(_with_database(settings, work))
    counts = ", ".join(f"{k}: {v}" for k, v in result.summary.items()) or "nothing to do"
    print(f"{args.name} (run {result.run}, as of {now.isoformat()}): {counts}")
    if result.error:  # ran, but could not do all its work: recorded failing
        print(f"lending: job {args.name} is recorded failing: {result.error}", file=sys.stderr)
        return 1
    return 0


def cmd_jobs_list(settings: Settings, args: argparse.Namespace) -> int:
    from .jobs import JOBS
    from .jobs.scheduler import DEFAULT_SCHEDULES

    schedules = {**DEFAULT_SCHEDULES, **settings.schedules}
    for name in JOBS:
        spec = schedules.get(name, "off")
        when = f"every {spec} s" if spec.isdigit() else spec
        print(f"{name:<16} {when}")
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from .services.data.demo import DEMO_LOGINS, database_is_empty, has_demo_logins, seed_demo

    async def work() -> str:
        if not await database_is_empty():
            if args.if_empty:
                return "kept" if await has_demo_logins() else "foreign"
            raise LendingError(
                "The database is not empty; demo data is only seeded into an empty database.",
                Code.DATABASE_NOT_EMPTY,
            )
        summary = await seed_demo(_now(), settings)
        print(summary)
        return "seeded"

    outcome = asyncio.run(_with_database(settings, work))
    if outcome == "foreign":
        print("The database already holds data; no demo data was added.")
        return 0
    if outcome == "kept":
        print("Demo data is already in place.")
    print("Demo logins:")
    for line in DEMO_LOGINS:
        print("  " + line)
    return 0


def _added_since(text: str | None, timezone: str) -> Any:
    """`today`, a date (midnight in the library's zone) or an ISO time with its offset."""
    from datetime import date

    from .services._common.render import zone

    if not text:
        return None
    if text == "today":
        return _now().astimezone(zone(timezone)).date()
    try:
        return date.fromisoformat(text) if len(text) == 10 else _parse_now(text)
    except (Invalid, ValueError):
        raise Invalid(
            [FieldError("--added-since", "today, a date (2026-12-01) or a time with offset")]
        ) from None


def _progress_bar(stream: Any) -> Callable[[int, int], None]:
    """A one-line text progress bar (no dependencies), redrawn in place."""

    def show(done: int, total: int) -> None:
        filled = 30 * done // max(total, 1)
        end = "\n" if done >= total else ""
        stream.write(f"\rlabels [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}{end}")
        stream.flush()

    return show


def cmd_labels(settings: Settings, args: argparse.Namespace) -> int:
    import os
    import tempfile

    from .printing import list_templates
    from .services.actors import Actor
    from .services.inventory.labels import LabelRequest, mark_printed, render_labels

    if args.list_templates:
        for name in list_templates(settings.labels_dir or None):
            print(name)
        return 0
    if not args.output:
        raise Invalid([FieldError("-o", "name the file to write, e.g. -o labels.pdf")])
    output = Path(args.output)
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "zpl"):
        raise Invalid([FieldError("-o", "the file name must end in .pdf or .zpl")])
    if not output.parent.is_dir():
        raise Invalid([FieldError("-o", f"the folder {str(output.parent)!r} does not exist")])
    request = LabelRequest(
        template=args.template,
        barcodes=args.barcode or None,
        kind=args.kind,
        branch=args.branch,
        added_since=_added_since(args.added_since, settings.timezone),
        needs_label=True if args.needs_label else None,
        all=args.all,
        start_at=args.start_at,
        symbology=args.symbology,
        format=fmt,
    )
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    bar = _progress_bar(sys.stderr)

    def progress(done: int, total: int) -> None:
        if show and (args.progress or total > 60):
            bar(done, total)

    now = _now()

    async def work() -> tuple[Any, int]:
        printed = await render_labels(settings, now, request, progress)
        # Write beside the target and rename: a failure leaves no partial file behind, and the
        # reprint queue is cleared only once the whole file is on disk.
        handle, temporary = tempfile.mkstemp(
            dir=output.parent, prefix=f".{output.name}.", suffix=".part"
        )
        try:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)  # as an ordinary new file (mkstemp makes 0600)
            with os.fdopen(handle, "wb") as file:
                file.write(printed.content)
                file.flush()
                os.fsync(file.fileno())
            cleared = await mark_printed(Actor(CLI_ACTOR_NAME, "system"), now, printed)
            os.replace(temporary, output)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return printed, cleared

    printed, cleared = asyncio.run(_with_database(settings, work))
    count = len(printed.barcodes)
    pages = f", {printed.pages} page(s)" if printed.format == "pdf" else ""
    print(
        f"Wrote {count} label(s){pages} to {output} ({printed.template}, {printed.symbology}); "
        f"{cleared} device(s) no longer need a label."
    )
    if printed.refused:
        print(
            f"{len(printed.refused)} device(s) left out: they cannot be labelled and stay on "
            "the reprint queue:",
            file=sys.stderr,
        )
        for _code, reason in printed.refused:
            print(f"  {reason}", file=sys.stderr)
    return 0


def _port(text: str) -> int:
    """A TCP port for --port: a whole number from 1 to 65535 (argparse explains a refusal)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port: use a number from 1 to 65535")
    return port


def _workers(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of workers") from None
    if not 1 <= count <= 64:
        raise argparse.ArgumentTypeError(f"{count} workers: use a number from 1 to 64")
    return count


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lending", description="Hotspot and laptop lending for public libraries."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the web app and API")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    serve.add_argument("--port", type=_port, default=8000, help="port, 1-65535 (%(default)s)")
    serve.add_argument(
        "--workers", type=_workers, default=1, help="worker processes, 1-64 (%(default)s)"
    )
    serve.add_argument("--log-level", default="info", help="uvicorn log level (%(default)s)")
    serve.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="log every request",
    )
    serve.add_argument("--check-only", action="store_true", help=argparse.SUPPRESS)
    serve.set_defaults(run=cmd_serve)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(run=cmd_migrate)

    demo = sub.add_parser("demo", help="seed demo data into an empty database")
    demo.add_argument(
        "--if-empty", action="store_true", help="seed only when empty; never fail otherwise"
    )
    demo.set_defaults(run=cmd_demo)

    staff = sub.add_parser("staff", help="staff accounts")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_sub.add_parser("add", help="add a staff account")
    add.add_argument("username", help="1-64 letters, digits, dots, dashes, underscores or @")
    add.add_argument(
        "--role",
        choices=["admin", "desk", "partner"],
        required=True,
        help="admin: everything; desk: circulation; partner: partner staff (needs --partner)",
    )
    add.add_argument("--password", required=True, help="at least 8 characters")
    add.add_argument(
        "--partner", default=None, help="a partner account's partner organisation (its code)"
    )
    add.set_defaults(run=cmd_staff_add)

    jobs = sub.add_parser("jobs", help="scheduled jobs")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True)
    jobs_sub.add_parser("list", help="the jobs and their schedules").set_defaults(run=cmd_jobs_list)
    run = jobs_sub.add_parser("run", help="run one job now (recorded like a scheduled run)")
    run.add_argument("name", help="the job's name; see `lending jobs list`")
    run.add_argument("--now", help="run as of this time (ISO 8601 with offset)")
    run.set_defaults(run=cmd_jobs_run)

    labels = sub.add_parser(
        "labels",
        help="print barcode labels (PDF sheets and rolls, ZPL for Zebra printers)",
        description="Print labels for the chosen devices, then take them off the reprint "
        "queue (needs_label). Nothing is written, and no flag changes, if anything is refused.",
    )
    labels.add_argument("--template", default="avery-5160", help="label stock (%(default)s)")
    labels.add_argument("--list-templates", action="store_true", help="list the templates")
    labels.add_argument(
        "--barcode", action="append", metavar="BARCODE", help="a device (repeat for more)"
    )
    labels.add_argument("--kind", help="devices of this kind")
    labels.add_argument("--branch", help="devices at this branch (code)")
    labels.add_argument(
        "--added-since", metavar="WHEN", help="devices added since: today, 2026-12-01, or a time"
    )
    labels.add_argument(
        "--needs-label", action="store_true", help="only devices waiting for a label"
    )
    labels.add_argument("--all", action="store_true", help="every device (except retired)")
    labels.add_argument(
        "--start-at", type=int, default=1, metavar="N", help="first free position on the sheet"
    )
    labels.add_argument(
        "--symbology",
        choices=["code128", "codabar", "code39"],
        help="default: LENDING_BARCODE_SYMBOLOGY (code128)",
    )
    labels.add_argument("-o", "--output", metavar="FILE", help="FILE.pdf or FILE.zpl")
    labels.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: on a terminal, for more than 60 labels)",
    )
    labels.set_defaults(run=cmd_labels)

    from .cli_data import add_data_commands  # import, export

    add_data_commands(sub)
    from .cli_offline import add_offline_commands

    add_offline_commands(sub)
    from .cli_sip2 import add_sip2_commands

    add_sip2_commands(sub)
    from .cli_check import add_check_commands

    add_check_commands(sub)
    from .cli_backup import add_backup_commands

    add_backup_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Piccolo warns when it cannot reach PostgreSQL; we say so ourselves, once and plainly.
    warnings.filterwarnings("ignore", message=r".*Unable to (connect to database|fetch server)")
    settings: Settings | None = None
    try:
        settings = Settings.from_env()
        return args.run(settings, args)
    except SettingsError as exc:
        print(f"lending: configuration error: {exc}", file=sys.stderr)
        return 2
    except Invalid as exc:
        for error in exc.errors:
            print(f"lending: {error.field}: {error.message}", file=sys.stderr)
        return 2
    except LendingError as exc:
        print(f"lending: {exc.detail}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if settings is None or not _is_connection_failure(exc):
            raise
        print(
            f"lending: cannot reach the database ({_where(settings)}): {_reason(exc)}",
            file=sys.stderr,
        )
        hint = "and that the database server is running" if settings.is_postgres else ""
        print(f"lending: check LENDING_DATABASE_URL {hint}".rstrip() + ".", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
