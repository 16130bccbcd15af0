"""`lending import` and `lending export`: CSV files in and out, from the command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .circulation import FieldError, Invalid
from .settings import Settings

if TYPE_CHECKING:
    from .schemas.imports import ImportOut

__all__ = ["add_data_commands"]

SHOWN_CHANGES = 50


class ProgressBar:
    """A plain-text progress bar on stderr: redrawn in place on a terminal; otherwise one line
    when a stage is done (logs stay readable)."""

    def __init__(self, stream: TextIO, enabled: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled
        self.tty = stream.isatty()
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if stage != self.stage and self.stage and self.tty:
            self.stream.write("\n")
        self.stage = stage
        share = done / total if total else 1.0
        bar = "#" * int(share * 30)
        text = f"{stage:<9} [{bar:<30}] {done:,}/{total:,} rows {share * 100:3.0f}%"
        if self.tty:
            self.stream.write("\r" + text)
            if done >= total:
                self.stream.write("\n")
                self.stage = ""
        elif done >= total:
            self.stream.write(text + "\n")
        self.stream.flush()


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise Invalid(FieldError("FILE", f"cannot read {path}: {exc.strerror}")) from None


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from .cli import CLI_ACTOR_NAME, _now, _with_database
    from .services.actors import Actor
    from .services.data.csv_read import ImportRejected
    from .services.data.imports import import_csv

    data = _read(args.file)
    progress = ProgressBar(sys.stderr, enabled=not args.quiet)

    async def work() -> ImportOut:
        actor = Actor(CLI_ACTOR_NAME, "system")
        return await import_csv(
            actor, _now(), args.kind, data, dry_run=args.dry_run, progress=progress
        )

    try:
        result = asyncio.run(_with_database(settings, work))
    except ImportRejected as exc:
        print(f"lending: {exc.detail}", file=sys.stderr)
        for error in exc.errors:
            where = f"line {error.line}" + (f", {error.column}" if error.column else "")
            print(f"  {where}: {error.reason}", file=sys.stderr)
        return 2
    counts = (
        f"{result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged ({result.rows} rows)"
    )
    if args.dry_run:
        print(f"Dry run, nothing was written. {args.kind} from {args.file} would be: {counts}.")
    else:
        print(f"Imported {args.kind} from {args.file}: {counts}.")
    changes = result.changes
    for change in changes[:SHOWN_CHANGES]:
        columns = f" ({', '.join(change.columns)})" if change.columns else ""
        print(f"  line {change.line}: {change.key} {change.change}{columns}")
    hidden = len(changes) - SHOWN_CHANGES + result.changes_not_listed
    if hidden > 0:
        print(f"  ... and {hidden} more")
    return 0


def _date(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(FieldError(option, f"{text!r} is not a date (YYYY-MM-DD)")) from None


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from .cli import _now, _with_database
    from .services.data.exports import export_csv

    start, end = _date(args.start, "--from"), _date(args.end, "--to")
    to_stdout = args.output in (None, "-")
    try:
        out = sys.stdout if to_stdout else open(args.output, "w", encoding="utf-8", newline="")  # noqa: SIM115
    except OSError as exc:
        raise Invalid(FieldError("-o", f"cannot write {args.output}: {exc.strerror}")) from None

    async def work() -> int:
        chunks = await export_csv(
            args.kind, _now(), start=start, end=end, timezone=settings.timezone
        )
        lines = 0
        async for chunk in chunks:
            out.write(chunk)
            lines += chunk.count("\n")
        return lines - 1

    try:
        rows = asyncio.run(_with_database(settings, work))
    finally:
        if not to_stdout:
            out.close()
    if not to_stdout:
        print(f"Exported {rows:,} {args.kind} line(s) to {args.output}.", file=sys.stderr)
    return 0


def add_data_commands(sub: Any) -> None:
    """Add `import` and `export` to the `lending` command's subparsers."""
    imp = sub.add_parser(
        "import",
        help="import devices, lines or patrons from a CSV file (all rows or none)",
        description="Checks every row first; if any is bad nothing is imported and each bad "
        "row is listed (exit status 2). Existing rows are updated by barcode, ICCID or card "
        "number. Patron PINs are set only from a `pin` column.",
    )
    imp.add_argument("kind", choices=["devices", "lines", "patrons"])
    imp.add_argument("file", help="the CSV file (UTF-8, header first), or - for stdin")
    imp.add_argument("--dry-run", action="store_true", help="report what would change only")
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    imp.set_defaults(run=cmd_import)

    exp = sub.add_parser("export", help="export a CSV file")
    exp.add_argument("kind", choices=["devices", "loans", "lines", "patrons", "compliance"])
    exp.add_argument("-o", "--output", help="the file to write (default: stdout)")
    exp.add_argument("--from", dest="start", help="compliance: loans out on or after this date")
    exp.add_argument("--to", dest="end", help="compliance: loans out on or before this date")
    exp.set_defaults(run=cmd_export)
