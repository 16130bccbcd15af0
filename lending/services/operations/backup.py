"""Backups that restore: `lending backup FILE` and `lending restore FILE`.

A backup file is a tar archive of two members. First the database: on SQLite a copy made with
sqlite3's online backup API (one step, so it is consistent; writers wait for the copy, then go
on), gzip-compressed; on PostgreSQL `pg_dump --format=custom` of a snapshot exported by a
transaction that also reads the migration state and the counts, so the three agree. Last
`manifest.json`: the format, the database kind, the migrations applied, row counts, the
payload's size and SHA-256. A file cut short has no manifest, and a damaged one fails its
checksum; both are refused before the target database is touched.

A restore goes into an empty database (or over one with `force`) in one transaction: on
SQLite through the backup API into the target, on PostgreSQL `pg_restore` piped into
`psql --single-transaction`, after dropping what the schema held. It refuses a
backup made by a newer version of the code, and says which migrations an older one lacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ...circulation import FieldError, Invalid, LendingError
from ...circulation.codes import Code

__all__ = ["BackupMade", "RestoreDone", "make_backup", "read_manifest", "restore_backup"]

FORMAT = "lending-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3.gz"
POSTGRES_MEMBER = "database.pgdump"
COUNTED = ("loan", "device", "patron", "hold", "event")
CHUNK = 1024 * 1024
COMPRESS_LEVEL = 1  # gzip: the fastest level; a SQLite file of 400 MB packs to about a quarter

_TOOLS_HINT = (
    "Install PostgreSQL's client tools, the same major version as the server or newer "
    "(Debian/Ubuntu: apt-get install postgresql-client; Red Hat/Fedora: dnf install postgresql; "
    "macOS: brew install libpq), or set LENDING_PG_BIN to the folder that holds them."
)

# Drops what a lending schema holds (tables with their sequences, views), so that a forced
# restore leaves nothing of the old database behind; runs inside the restore's transaction.
_DROP_SCHEMA_OBJECTS = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT table_name FROM information_schema.views
           WHERE table_schema = current_schema() LOOP
    EXECUTE format('DROP VIEW IF EXISTS %I CASCADE', r.table_name);
  END LOOP;
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.tablename);
  END LOOP;
  FOR r IN SELECT sequence_name FROM information_schema.sequences
           WHERE sequence_schema = current_schema() LOOP
    EXECUTE format('DROP SEQUENCE IF EXISTS %I CASCADE', r.sequence_name);
  END LOOP;
END $$;
"""


class BackupNotUsable(LendingError):
    status = 422
    title = "Not a usable backup"
    default_code = Code.BACKUP_NOT_USABLE


@dataclass(frozen=True)
class BackupMade:
    path: Path
    kind: str
    size_bytes: int
    seconds: float
    migrations: int
    counts: dict[str, int]
    snapshot_seconds: float  # SQLite: how long writers waited for the copy


@dataclass(frozen=True)
class RestoreDone:
    kind: str
    made_at: str
    counts: dict[str, int]
    seconds: float
    pending_migrations: list[str] = field(default_factory=list)


# -- what the code knows ----------------------------------------------------------------------


def _known_migrations() -> list[str]:
    from ..library.migrations import known_migration_ids

    return known_migration_ids()


def _version() -> str:
    from ... import __version__

    return __version__


# -- PostgreSQL client tools ------------------------------------------------------------------


def pg_tool(name: str, pg_bin: str | None = None) -> str:
    """The path of a PostgreSQL client program: in LENDING_PG_BIN when set, else on PATH, else
    the newest in /usr/lib/postgresql/*/bin (where Debian puts them)."""
    if pg_bin:
        candidate = Path(pg_bin) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
        raise LendingError(
            f"{name} is not in LENDING_PG_BIN ({pg_bin}). {_TOOLS_HINT}", Code.BACKUP_TOOLS_MISSING
        )
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if versions:
        return str(versions[-1])
    raise LendingError(
        f"Backups of a PostgreSQL database need {name}, which is not installed. {_TOOLS_HINT}",
        Code.BACKUP_TOOLS_MISSING,
    )


def _not_written(where: Path, exc: BaseException, left: str) -> LendingError:
    """A file that could not be written (a full disk, a read-only folder): said plainly."""
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return LendingError(f"Could not write {str(where)!r}: {reason}. {left}", Code.BACKUP_FAILED)


def _tool_failed(what: str, stderr: bytes | str) -> LendingError:
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
    lines = [line for line in text.strip().splitlines() if line.strip()]
    last = " / ".join(lines[-3:]) if lines else "no message"
    return LendingError(f"{what} failed: {last}", Code.BACKUP_FAILED)


# -- writing the archive ----------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _write_archive(target: Path, payload: Path, member: str, manifest: dict[str, Any]) -> int:
    """The payload, then the manifest (so a file cut short has none), written beside `target`
    and renamed over it only when complete: an earlier backup of that name is replaced only by
    a whole one."""
    manifest = {**manifest, "payload": member, "payload_bytes": payload.stat().st_size}
    manifest["payload_sha256"] = _sha256(payload)
    partial = target.with_name(f".{target.name}.partial")
    try:
        _pack(partial, target, payload, member, manifest)
    except OSError as exc:
        raise _not_written(target, exc, "Nothing was written there.") from None
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size


def _pack(partial: Path, target: Path, payload: Path, member: str, manifest: dict) -> None:
    with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(payload, arcname=member, recursive=False)
        data = json.dumps(manifest, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        info.mtime = int(time.time())
        tar.addfile(info, io.BytesIO(data))
    with open(partial, "rb") as f:
        os.fsync(f.fileno())
    os.replace(partial, target)


def _check_target_file(path: Path) -> None:
    if not path.parent.is_dir():
        raise Invalid(FieldError("file", f"the folder {str(path.parent)!r} does not exist"))
    if path.is_dir():
        raise Invalid(FieldError("file", f"{str(path)!r} is a folder: name the backup file"))


@contextlib.contextmanager
def _scratch(folder: Path, stem: str) -> Iterator[Path]:
    """A temporary file in `folder` (the same disk as the result), removed afterwards."""
    path = folder / f".{stem}.{os.getpid()}.tmp"
    try:
        yield path
    finally:
        for leftover in (path, Path(f"{path}-journal")):
            leftover.unlink(missing_ok=True)


def _manifest(kind: str, now: datetime, migrations: list[str], counts: dict[str, int]):
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "database": kind,
        "made_at": now.isoformat(),
        "lending_version": _version(),
        "migrations": sorted(migrations),
        "counts": counts,
    }


# -- SQLite -----------------------------------------------------------------------------------


def _sqlite_facts(conn: sqlite3.Connection) -> tuple[list[str], dict[str, int]]:
    try:
        rows = conn.execute("SELECT name FROM migration WHERE app_name = 'lending'").fetchall()
    except sqlite3.OperationalError:
        return [], {}
    counts = {}
    for table in COUNTED:
        try:
            counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        except sqlite3.OperationalError:
            counts[table] = 0
    return sorted(r[0] for r in rows), counts


def _sqlite_backup(source: Path, target: Path, now: datetime) -> tuple[int, list[str], dict, float]:
    if not source.is_file():
        raise LendingError(
            f"There is no database file at {str(source)!r} to back up (LENDING_DATABASE_URL).",
            Code.DATABASE_UNAVAILABLE,
        )
    with (
        _scratch(target.parent, target.name + ".db") as copy,
        _scratch(target.parent, target.name + ".gz") as packed,
    ):
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=60)
        try:
            dst = sqlite3.connect(copy)
            try:
                started = time.perf_counter()
                src.backup(dst)  # all pages in one step: one consistent moment
                snapshot_s = time.perf_counter() - started
                migrations, counts = _sqlite_facts(dst)
            finally:
                dst.close()
        except sqlite3.Error as exc:
            raise LendingError(
                f"The backup could not be made: {exc}. Nothing was written to {str(target)!r}.",
                Code.BACKUP_FAILED,
            ) from None
        finally:
            src.close()
        if not migrations:
            raise LendingError(
                f"The database at {str(source)!r} is not a lending database (never migrated).",
                Code.DATABASE_NOT_MIGRATED,
            )
        try:
            with (
                open(copy, "rb") as raw,
                gzip.open(packed, "wb", compresslevel=COMPRESS_LEVEL) as out,
            ):
                shutil.copyfileobj(raw, out, CHUNK)
        except OSError as exc:
            raise _not_written(target, exc, "Nothing was written there.") from None
        size = _write_archive(
            target, packed, SQLITE_MEMBER, _manifest("sqlite", now, migrations, counts)
        )
    return size, migrations, counts, snapshot_s


def _sqlite_is_empty(path: Path) -> bool:
    """No file, no tables, or only a migrated schema without rows."""
    if not path.exists() or path.stat().st_size == 0:
        return True
    with contextlib.closing(sqlite3.connect(path, timeout=60)) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return not any(
            conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{t}")').fetchone()[0]
            for t in tables
            if t != "migration"
        )


def _sqlite_restore(archive: tarfile.TarFile, manifest: dict, target: Path, force: bool) -> None:
    if not target.parent.is_dir():
        raise LendingError(
            f"The folder {str(target.parent)!r} of the database does not exist.",
            Code.DATABASE_UNAVAILABLE,
        )
    if not force and not _sqlite_is_empty(target):
        raise _not_empty()
    with _scratch(target.parent, target.name + ".restore") as copy:
        with (
            _extract(archive, manifest, target.parent) as packed,
            gzip.open(packed, "rb") as raw,
            open(copy, "wb") as out,
        ):
            try:
                shutil.copyfileobj(raw, out, CHUNK)
            except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
                raise _damaged(f"its database does not decompress ({exc})") from None
            except OSError as exc:
                raise _not_written(copy, exc, "The database was left as it was.") from None
        try:
            with contextlib.closing(sqlite3.connect(copy)) as conn:
                ok = conn.execute("PRAGMA quick_check").fetchone()[0]
                migrations, _ = _sqlite_facts(conn)
        except sqlite3.DatabaseError as exc:
            raise _damaged(f"its database is not a SQLite file ({exc})") from None
        if ok != "ok" or migrations != manifest["migrations"]:
            raise _damaged("its database does not match its manifest")
        if not target.exists():
            os.replace(copy, target)
            return
        with (
            contextlib.closing(sqlite3.connect(copy)) as src,
            contextlib.closing(sqlite3.connect(target, timeout=60)) as dst,
        ):
            try:
                src.backup(dst)  # one transaction on the target: all of it or none
            except sqlite3.Error as exc:
                raise _not_written(target, exc, "The database was left as it was.") from None


# -- PostgreSQL -------------------------------------------------------------------------------


async def _pg_connect(url: str):
    import asyncpg

    return await asyncpg.connect(url)


async def _pg_facts(conn) -> tuple[list[str], dict[str, int]]:
    tables = {
        r["tablename"]
        for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
    }
    if "migration" not in tables:
        return [], {}
    rows = await conn.fetch("SELECT name FROM migration WHERE app_name = 'lending'")
    counts = {}
    for table in COUNTED:
        counts[table] = (
            await conn.fetchval(f"SELECT count(*) FROM {table}") if table in tables else 0
        )
    return sorted(r["name"] for r in rows), counts


async def _pg_is_empty(conn) -> bool:
    """No tables, or only a migrated schema without rows."""
    tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    for row in tables:
        name = row["tablename"]
        if name != "migration" and await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{name}")'):
            return False
    return True


async def _pg_backup(url: str, target: Path, now: datetime, pg_bin: str | None):
    pg_dump = pg_tool("pg_dump", pg_bin)
    conn = await _pg_connect(url)
    try:
        # The dump, the migration state and the counts all read this one snapshot.
        transaction = conn.transaction(isolation="repeatable_read", readonly=True)
        await transaction.start()
        try:
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            migrations, counts = await _pg_facts(conn)
            if not migrations:
                raise LendingError(
                    "The database is not a lending database (never migrated).",
                    Code.DATABASE_NOT_MIGRATED,
                )
            with _scratch(target.parent, target.name + ".pgdump") as dump:
                process = await asyncio.create_subprocess_exec(
                    pg_dump, "--format=custom", "--no-owner", "--no-privileges",
                    f"--snapshot={snapshot}", f"--file={dump}", f"--dbname={url}",
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                )  # fmt: skip
                _, stderr = await process.communicate()
                if process.returncode != 0:
                    raise _tool_failed("pg_dump", stderr)
                size = _write_archive(
                    target, dump, POSTGRES_MEMBER, _manifest("postgres", now, migrations, counts)
                )  # PostgreSQL's writers never wait for a dump
        finally:
            await transaction.rollback()
    finally:
        await conn.close()
    return size, migrations, counts, 0.0


def _pg_restore_into(url: str, dump: Path, pg_bin: str | None) -> None:
    """`pg_restore` writes the dump as an SQL script and `psql` runs it in one transaction, after
    dropping what the schema holds (an empty migrated schema, or everything when forced): an
    error anywhere leaves the target as it was."""
    pg_restore, psql = pg_tool("pg_restore", pg_bin), pg_tool("psql", pg_bin)
    listing = subprocess.run(
        [pg_restore, "--list", str(dump)], capture_output=True, stdin=subprocess.DEVNULL
    )
    if listing.returncode != 0:
        raise _damaged("its PostgreSQL dump cannot be read (" + _last_line(listing.stderr) + ")")
    # The whole script is written first: psql must never see a script cut short by a dump
    # that fails half-way (it would commit what it had read).
    with (
        _scratch(dump.parent, dump.name + ".prelude") as prelude,
        _scratch(dump.parent, dump.name + ".sql") as script,
    ):
        prelude.write_text(_DROP_SCHEMA_OBJECTS)
        produced = subprocess.run(
            [pg_restore, "--no-owner", "--no-privileges", f"--file={script}", str(dump)],
            stdin=subprocess.DEVNULL, capture_output=True,
        )  # fmt: skip
        if produced.returncode != 0:
            raise _damaged(
                "its PostgreSQL dump cannot be read (" + _last_line(produced.stderr) + ")"
            )
        consumer = subprocess.run(
            [psql, "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
             f"--file={prelude}", f"--file={script}", f"--dbname={url}"],
            stdin=subprocess.DEVNULL, capture_output=True,
        )  # fmt: skip
    if consumer.returncode != 0:
        raise _tool_failed("The restore (nothing was changed)", consumer.stderr)


def _last_line(stderr: bytes) -> str:
    lines = [line for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


# -- reading a backup -------------------------------------------------------------------------


def _damaged(why: str) -> BackupNotUsable:
    return BackupNotUsable(
        f"The backup file is damaged or incomplete: {why}. Nothing was restored."
    )


def _not_empty() -> LendingError:
    return LendingError(
        "The database to restore into is not empty. Restore into a new, empty database, or add "
        "--force to replace everything in this one.",
        Code.DATABASE_NOT_EMPTY,
    )


def _open_archive(path: Path) -> tarfile.TarFile:
    if not path.is_file():
        raise Invalid(FieldError("file", f"{str(path)!r} is not a file"))
    try:
        return tarfile.open(path, "r:")
    except (tarfile.TarError, OSError):
        raise BackupNotUsable(
            f"{str(path)!r} is not a lending backup (not an archive `lending backup` writes)."
        ) from None


def read_manifest(archive: tarfile.TarFile, path: Path) -> dict[str, Any]:
    try:
        member = archive.getmember(MANIFEST)
        data = archive.extractfile(member).read()
    except KeyError:
        if any(m.name in (SQLITE_MEMBER, POSTGRES_MEMBER) for m in archive.getmembers()):
            raise _damaged("it ends before its manifest (cut short?)") from None
        raise BackupNotUsable(
            f"{str(path)!r} is not a lending backup (it has no manifest)."
        ) from None
    except (tarfile.TarError, OSError, AttributeError):
        raise _damaged("its archive is cut short or damaged") from None
    try:
        manifest = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise _damaged("its manifest is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupNotUsable(f"{str(path)!r} is not a lending backup (a foreign manifest).")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise LendingError(
            f"The backup is in format {manifest.get('format_version')!r}, which this version of "
            f"lending does not read (it reads {FORMAT_VERSION}): restore it with the version "
            "that made it.",
            Code.BACKUP_TOO_NEW,
        )
    needed = {"database": str, "migrations": list, "payload": str, "payload_sha256": str}
    for key, kind in needed.items():
        if not isinstance(manifest.get(key), kind):
            raise _damaged(f"its manifest has no {key}")
    if manifest["database"] not in ("sqlite", "postgres"):
        raise _damaged("its manifest names an unknown database")
    return manifest


@contextlib.contextmanager
def _extract(archive: tarfile.TarFile, manifest: dict, folder: Path) -> Iterator[Path]:
    """The payload in a scratch file in `folder`, its checksum verified."""
    try:
        member = archive.getmember(manifest["payload"])
    except KeyError:
        raise _damaged("its database is missing") from None
    with _scratch(folder, Path(archive.name).name + ".payload") as out:
        digest = hashlib.sha256()
        try:
            source = archive.extractfile(member)
            with open(out, "wb") as f:
                while block := source.read(CHUNK):
                    digest.update(block)
                    try:
                        f.write(block)
                    except OSError as exc:
                        raise _not_written(out, exc, "Nothing was restored.") from None
        except (tarfile.TarError, AttributeError):
            raise _damaged("its database is cut short") from None
        if digest.hexdigest() != manifest["payload_sha256"]:
            raise _damaged("its database's checksum does not match")
        yield out


def _check_migrations(manifest: dict[str, Any]) -> list[str]:
    """Refuse a backup made by a newer version; the migrations an older one lacks."""
    known = _known_migrations()
    unknown = sorted(set(manifest["migrations"]) - set(known))
    if unknown:
        raise LendingError(
            f"This backup was made by a newer version of lending (lending "
            f"{manifest.get('lending_version', '?')}): its schema has {len(unknown)} migration(s) "
            f"this version does not know, the newest {unknown[-1]}. Upgrade lending, then restore.",
            Code.BACKUP_TOO_NEW,
        )
    return [m for m in known if m not in set(manifest["migrations"])]


# -- the two operations -----------------------------------------------------------------------


async def make_backup(
    database_url: str, target: Path, now: datetime, *, pg_bin: str | None = None
) -> BackupMade:
    started = time.perf_counter()
    target = target.absolute()
    _check_target_file(target)
    if database_url.startswith(("postgres://", "postgresql://")):
        kind = "postgres"
        size, migrations, counts, waited = await _pg_backup(database_url, target, now, pg_bin)
    else:
        kind = "sqlite"
        source = Path(database_url.removeprefix("sqlite:///") or "lending.sqlite3").absolute()
        size, migrations, counts, waited = await asyncio.to_thread(
            _sqlite_backup, source, target, now
        )
    seconds = time.perf_counter() - started
    return BackupMade(target, kind, size, seconds, len(migrations), counts, waited)


async def restore_backup(
    database_url: str, source: Path, *, force: bool = False, pg_bin: str | None = None
) -> RestoreDone:
    started = time.perf_counter()
    source = source.absolute()
    kind = "postgres" if database_url.startswith(("postgres://", "postgresql://")) else "sqlite"
    with _open_archive(source) as archive:
        manifest = read_manifest(archive, source)
        pending = _check_migrations(manifest)
        if manifest["database"] != kind:
            made = "SQLite" if manifest["database"] == "sqlite" else "PostgreSQL"
            raise LendingError(
                f"This is a backup of a {made} database; it restores only into {made} "
                f"(LENDING_DATABASE_URL names a {'PostgreSQL' if kind == 'postgres' else 'SQLite'}"
                " database).",
                Code.BACKUP_WRONG_DATABASE,
            )
        if kind == "sqlite":
            target = Path(database_url.removeprefix("sqlite:///") or "lending.sqlite3").absolute()
            await asyncio.to_thread(_sqlite_restore, archive, manifest, target, force)
            with contextlib.closing(sqlite3.connect(target)) as conn:
                _, counts = _sqlite_facts(conn)
        else:
            for tool in ("pg_restore", "psql"):
                pg_tool(tool, pg_bin)
            conn = await _pg_connect(database_url)  # unreachable: said before anything is read
            try:
                empty = await _pg_is_empty(conn)
            finally:
                await conn.close()
            if not empty and not force:
                raise _not_empty()
            with _extract(archive, manifest, Path(tempfile.gettempdir())) as dump:
                await asyncio.to_thread(_pg_restore_into, database_url, dump, pg_bin)
            conn = await _pg_connect(database_url)
            try:
                _, counts = await _pg_facts(conn)
            finally:
                await conn.close()
    return RestoreDone(
        kind, str(manifest.get("made_at", "?")), counts, time.perf_counter() - started, pending
    )
