"""`lending backup` and `lending restore` as an operator runs them, on SQLite and PostgreSQL:
a backup taken while desks keep lending restores whole and consistent, and every bad file,
path or database is refused with a plain sentence, leaving the target as it was."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import tarfile
import threading
import time
from pathlib import Path

import httpx
import pytest
from live_server import LENDING, running_server, server_env
from test_cli import lending, new_database, refused, sql, succeeded

KINDS = ["sqlite", "postgres"]


def _needs_client_tools(kind: str) -> None:
    """PostgreSQL backups run pg_dump, pg_restore and psql: skip where they are not installed
    (a developer's machine), never in CI."""
    from lending.services.operations.backup import pg_tool

    if kind != "postgres" or os.environ.get("LENDING_CI") == "1":
        return
    try:
        for tool in ("pg_dump", "pg_restore", "psql"):
            pg_tool(tool)
    except Exception as exc:
        pytest.skip(f"PostgreSQL's client tools are not installed: {exc}")


def _table_names(url: str) -> list[str]:
    if url.startswith("sqlite:///"):
        return [r[0] for r in sql(url, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [
        r[0]
        for r in sql(url, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    ]


def _loans(url: str) -> set[tuple[int, str, str]]:
    rows = sql(
        url,
        "SELECT loan.id, device.barcode, patron.card_number FROM loan "
        "JOIN device ON device.id = loan.device JOIN patron ON patron.id = loan.patron",
    )
    return {tuple(r) for r in rows}


def _rewrite(archive: Path, out: Path, edit=None, payload=None) -> Path:
    """A copy of a backup whose manifest `edit` changed, or whose database `payload` changed
    (with the checksum made to match, as a faulty disk or tool would not)."""
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        members = {m.name: src.extractfile(m).read() for m in src.getmembers()}
        manifest = json.loads(members["manifest.json"])
        if payload is not None:
            members[manifest["payload"]] = payload(members[manifest["payload"]])
            manifest["payload_sha256"] = hashlib.sha256(members[manifest["payload"]]).hexdigest()
            manifest["payload_bytes"] = len(members[manifest["payload"]])
        if edit is not None:
            edit(manifest)
        members["manifest.json"] = json.dumps(manifest).encode()
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    return out


class Desk(threading.Thread):
    """A desk lending and taking back the demo's available devices, round after round,
    remembering each loan the server acknowledged (201) and when."""

    def __init__(self, base_url: str, token: str, devices: list[str], cards: list[str]) -> None:
        super().__init__(daemon=True)
        self.base_url, self.devices, self.cards = base_url, devices, cards
        self.headers = {"Authorization": f"Bearer {token}"}
        self.acknowledged: list[tuple[float, tuple[int, str, str]]] = []
        self.stop = threading.Event()
        self.errors: list[str] = []

    def run(self) -> None:
        with httpx.Client(base_url=self.base_url, headers=self.headers, timeout=60) as http:
            turn = 0
            while not self.stop.is_set():
                device = self.devices[turn % len(self.devices)]
                card = self.cards[turn % len(self.cards)]
                turn += 1
                r = http.post("/api/checkout", json={"patron": card, "device": device})
                if r.status_code == 201:
                    loan = r.json()["loan"]
                    self.acknowledged.append((time.monotonic(), (loan["id"], device, card)))
                elif r.status_code != 409:  # a refusal (limits, blocks) is fine; a fault is not
                    self.errors.append(f"checkout {r.status_code} {r.text}")
                r = http.post("/api/checkin", json={"device": device})
                if r.status_code not in (200, 409):
                    self.errors.append(f"checkin {r.status_code} {r.text}")


@pytest.mark.parametrize("kind", KINDS)
def test_a_backup_taken_while_desks_lend_restores_every_acknowledged_loan_and_checks_clean(
    kind, tmp_path
):
    _needs_client_tools(kind)
    with running_server(kind, tmp_path, demo=True) as server:
        r = httpx.post(
            f"{server.base_url}/api/auth/token",
            json={"username": "desk", "password": "demo-desk-pass"},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        devices = [
            r[0] for r in sql(server.url, "SELECT barcode FROM device WHERE status = 'available'")
        ]
        cards = [r[0] for r in sql(server.url, "SELECT card_number FROM patron WHERE NOT blocked")]
        desk = Desk(server.base_url, r.json()["access_token"], devices, cards)
        desk.start()
        try:
            while len(desk.acknowledged) < 5:
                assert desk.is_alive() and not desk.errors, desk.errors
                time.sleep(0.05)
            started = time.monotonic()
            backup = subprocess.run(
                [LENDING, "backup", str(tmp_path / "lending.backup")],
                env=server_env(server.url),
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=120,
            )
            finished = time.monotonic()
        finally:
            desk.stop.set()
            desk.join(timeout=60)
        succeeded(backup)
        assert not desk.errors, desk.errors
        before = {loan for at, loan in desk.acknowledged if at < started}
        during = [loan for at, loan in desk.acknowledged if started <= at <= finished]
        assert during, "the desk kept lending while the backup ran"

    (tmp_path / "restored").mkdir()
    with new_database(kind, tmp_path / "restored") as restored:
        out = succeeded(lending("restore", str(tmp_path / "lending.backup"), url=restored,
                                cwd=tmp_path))  # fmt: skip
        assert "Restored the backup" in out and "lending migrate" not in out
        assert before <= _loans(restored)
        assert "nothing inconsistent" in succeeded(lending("check", url=restored, cwd=tmp_path))
        if kind == "postgres":  # the next loan gets a fresh id
            last = sql(restored, "SELECT last_value FROM loan_id_seq")[0][0]
            assert last >= max(loan_id for loan_id, _, _ in _loans(restored))


@pytest.fixture(scope="module", params=KINDS)
def demo_backup(request, tmp_path_factory) -> tuple[str, Path]:
    """A backup of the demo data, once per database kind."""
    _needs_client_tools(request.param)
    folder = tmp_path_factory.mktemp(f"backup-{request.param}")
    with new_database(request.param, folder) as url:
        succeeded(lending("migrate", url=url, cwd=folder))
        succeeded(lending("demo", url=url, cwd=folder))
        succeeded(lending("backup", str(folder / "demo.backup"), url=url, cwd=folder))
        yield request.param, folder / "demo.backup"


@pytest.fixture
def empty_target(demo_backup, tmp_path):
    kind, _ = demo_backup
    with new_database(kind, tmp_path) as url:
        yield url


def _untouched(url: str) -> None:
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return
    assert _table_names(url) == [], "nothing may be restored from a refused backup"


def test_a_backup_file_cut_short_is_refused_and_nothing_is_restored(
    demo_backup, empty_target, tmp_path
):
    _, backup = demo_backup
    data = backup.read_bytes()
    with tarfile.open(backup) as tar:
        manifest_at = tar.getmember("manifest.json").offset
    for cut in (len(data) // 2, manifest_at):  # inside the database; just before the manifest
        short = tmp_path / f"short-{cut}.backup"
        short.write_bytes(data[:cut])
        message = refused(lending("restore", str(short), url=empty_target, cwd=tmp_path))
        assert "damaged or incomplete" in message
        _untouched(empty_target)


def test_a_backup_whose_database_was_damaged_fails_its_checksum(
    demo_backup, empty_target, tmp_path
):
    _, backup = demo_backup
    data = bytearray(backup.read_bytes())
    data[2048] ^= 0xFF  # a byte of the database, inside the archive
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(bytes(data))
    message = refused(lending("restore", str(damaged), url=empty_target, cwd=tmp_path))
    assert "checksum" in message
    _untouched(empty_target)


def test_a_file_that_is_not_a_lending_backup_is_refused_by_name(empty_target, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a backup\n")
    assert "is not a lending backup" in refused(
        lending("restore", str(text), url=empty_target, cwd=tmp_path)
    )
    foreign = tmp_path / "photos.tar"
    with tarfile.open(foreign, "w") as tar:
        tar.add(text, arcname="notes.txt")
    assert "no manifest" in refused(
        lending("restore", str(foreign), url=empty_target, cwd=tmp_path)
    )
    _untouched(empty_target)


def test_a_wrong_path_is_named_in_a_plain_sentence(empty_target, tmp_path):
    missing = tmp_path / "nowhere" / "lending.backup"
    assert "is not a file" in refused(
        lending("restore", str(missing), url=empty_target, cwd=tmp_path)
    )
    assert "does not exist" in refused(
        lending("backup", str(missing), url=empty_target, cwd=tmp_path)
    )
    assert not missing.parent.exists()


def test_an_unreachable_database_is_said_plainly_for_backup_and_restore(demo_backup, tmp_path):
    kind, backup = demo_backup
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'no-such-folder' / 'lending.sqlite3'}"
    else:
        from scratch_postgres import free_port

        url = f"postgresql://postgres@127.0.0.1:{free_port()}/lending"
    message = refused(lending("backup", str(tmp_path / "x.backup"), url=url, cwd=tmp_path))
    assert "database" in message
    assert not (tmp_path / "x.backup").exists()
    message = refused(lending("restore", str(backup), url=url, cwd=tmp_path))
    assert ("cannot reach the database" if kind == "postgres" else "does not exist") in message
    assert not (tmp_path / "no-such-folder").exists()


def test_a_backup_from_a_newer_version_is_refused(demo_backup, empty_target, tmp_path):
    _, backup = demo_backup
    newer = _rewrite(
        backup,
        tmp_path / "newer.backup",
        lambda m: m["migrations"].append("2099-01-01T00:00:00:000000"),
    )
    message = refused(lending("restore", str(newer), url=empty_target, cwd=tmp_path))
    assert "newer version of lending" in message and "Upgrade lending" in message
    _untouched(empty_target)


def test_a_backup_of_the_other_kind_of_database_is_refused(demo_backup, tmp_path):
    kind, backup = demo_backup
    other = "postgres" if kind == "sqlite" else "sqlite"
    with new_database(other, tmp_path) as url:
        message = refused(lending("restore", str(backup), url=url, cwd=tmp_path))
        assert "restores only into" in message
        assert _table_names(url) == []


def test_a_database_that_holds_data_is_replaced_only_with_force(demo_backup, tmp_path):
    kind, backup = demo_backup
    with new_database(kind, tmp_path) as url:
        succeeded(lending("migrate", url=url, cwd=tmp_path))
        # a migrated schema without rows counts as empty
        succeeded(lending("restore", str(backup), url=url, cwd=tmp_path))
        loans = _loans(url)
        sql(url, "UPDATE device SET notes = 'changed after the backup'")
        message = refused(lending("restore", str(backup), url=url, cwd=tmp_path))
        assert "--force" in message
        assert sql(url, "SELECT DISTINCT notes FROM device") == [("changed after the backup",)]
        succeeded(lending("restore", "--force", str(backup), url=url, cwd=tmp_path))
        assert "changed after the backup" not in {
            r[0] for r in sql(url, "SELECT notes FROM device")
        }
        assert _loans(url) == loans
        assert "nothing inconsistent" in succeeded(lending("check", url=url, cwd=tmp_path))


def test_a_forced_restore_of_a_backup_that_fails_half_way_leaves_the_database_as_it_was(
    demo_backup, tmp_path
):
    kind, backup = demo_backup
    data = backup.read_bytes()
    short = tmp_path / "short.backup"
    short.write_bytes(data[: len(data) // 2])
    # a whole archive with a matching checksum whose database ends half-way
    half = _rewrite(backup, tmp_path / "half.backup", payload=lambda b: b[: len(b) // 2])
    with new_database(kind, tmp_path) as url:
        succeeded(lending("restore", str(backup), url=url, cwd=tmp_path))
        loans = _loans(url)
        for bad in (short, half):
            message = refused(lending("restore", "--force", str(bad), url=url, cwd=tmp_path))
            assert "damaged or incomplete" in message
            assert _loans(url) == loans
        assert "nothing inconsistent" in succeeded(lending("check", url=url, cwd=tmp_path))


def test_restoring_an_older_backup_tells_the_operator_to_run_migrate(demo_backup, tmp_path):
    kind, _ = demo_backup
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    with new_database(kind, tmp_path / "old") as old:
        succeeded(lending("migrate", url=old, cwd=tmp_path))
        newest = sql(old, "SELECT max(name) FROM migration")[0][0]
        sql(old, f"DELETE FROM migration WHERE name = '{newest}'")  # as an older version left it
        succeeded(lending("backup", str(tmp_path / "old.backup"), url=old, cwd=tmp_path))
    with new_database(kind, tmp_path / "new") as url:
        out = succeeded(lending("restore", str(tmp_path / "old.backup"), url=url, cwd=tmp_path))
        assert "run `lending migrate`" in out and "1 migration(s) to apply" in out


def test_missing_postgresql_client_tools_are_named_with_how_to_install_them(tmp_path):
    from scratch_postgres import scratch_database

    empty = tmp_path / "no-tools"
    empty.mkdir()
    with scratch_database("lending_cli") as url:
        succeeded(lending("migrate", url=url, cwd=tmp_path))
        message = refused(
            lending("backup", str(tmp_path / "x.backup"), url=url, cwd=tmp_path,
                    LENDING_PG_BIN=str(empty))
        )  # fmt: skip
    assert "pg_dump" in message and "apt-get install postgresql-client" in message
    assert not (tmp_path / "x.backup").exists()


def test_a_disk_that_fills_up_while_writing_a_backup_is_said_plainly_and_leaves_no_file(
    tmp_path, monkeypatch
):
    import asyncio
    import errno
    from datetime import UTC, datetime

    from lending.circulation import LendingError
    from lending.services.operations import backup

    url = f"sqlite:///{tmp_path / 'lending.sqlite3'}"
    succeeded(lending("migrate", url=url, cwd=tmp_path))
    before = sorted(p.name for p in tmp_path.iterdir())

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup, "_pack", full)
    with pytest.raises(LendingError) as refusal:
        asyncio.run(backup.make_backup(url, tmp_path / "x.backup", datetime.now(UTC)))

    assert "No space left on device" in refusal.value.detail
    assert "Nothing was written" in refusal.value.detail
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no backup, no leftovers
