"""`lending backup FILE` and `lending restore FILE [--force]`: a consistent copy of the database
while the server keeps lending, and a restore that is all or nothing (see
services/operations/backup.py for the file's format)."""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
from typing import Any

from .settings import Settings

__all__ = ["add_backup_commands"]


def _megabytes(size: int) -> str:
    if size < 1_000_000:
        return f"{size / 1000:,.0f} kB"
    return f"{size / 1_000_000:,.1f} MB"


def _counts(counts: dict[str, int]) -> str:
    names = {"loan": "loans", "device": "devices", "patron": "patrons", "hold": "holds",
             "event": "audit events"}  # fmt: skip
    return ", ".join(f"{counts.get(t, 0):,} {word}" for t, word in names.items())


def _when(iso: str) -> str:
    from datetime import UTC, datetime

    try:
        return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from .cli import _now, _where
    from .services.operations.backup import make_backup

    made = asyncio.run(
        make_backup(
            settings.database_url,
            Path(args.file),
            _now(),
            pg_bin=os.environ.get("LENDING_PG_BIN") or None,
        )
    )
    kind = "PostgreSQL" if made.kind == "postgres" else "SQLite"
    print(
        f"Backed up the {kind} database ({_where(settings)}) to {made.path}: "
        f"{_megabytes(made.size_bytes)} in {made.seconds:.1f} s."
    )
    print(f"It holds {_counts(made.counts)}; its schema has {made.migrations} migrations.")
    if made.kind == "sqlite":
        print(f"Writes waited {made.snapshot_seconds:.1f} s for the consistent copy.")
    print("Keep beside it the secret key, label templates and settings (README: Operations).")
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    from .cli import _where
    from .services.operations.backup import restore_backup

    done = asyncio.run(
        restore_backup(
            settings.database_url,
            Path(args.file),
            force=args.force,
            pg_bin=os.environ.get("LENDING_PG_BIN") or None,
        )
    )
    print(
        f"Restored the backup made {_when(done.made_at)} into {_where(settings)} in "
        f"{done.seconds:.1f} s: {_counts(done.counts)}."
    )
    if done.pending_migrations:
        print(
            f"The backup's schema is older than this version of lending: run `lending migrate` "
            f"now ({len(done.pending_migrations)} migration(s) to apply) before serving it."
        )
    return 0


def add_backup_commands(sub: Any) -> None:
    backup = sub.add_parser(
        "backup", help="write a consistent backup of the database to FILE (while it serves)"
    )
    backup.add_argument("file", metavar="FILE", help="the backup file to write (replaced whole)")
    backup.set_defaults(run=cmd_backup)
    restore = sub.add_parser("restore", help="restore a backup FILE into an empty database")
    restore.add_argument("file", metavar="FILE", help="a file `lending backup` wrote")
    restore.add_argument(
        "--force", action="store_true", help="replace everything in a database that holds data"
    )
    restore.set_defaults(run=cmd_restore)
