"""The `lending` command as an operator runs it: a real process, configured only by environment
variables, on a SQLite file and on a fresh PostgreSQL database.

Failures must read as plain sentences on stderr with a non-zero exit, never as a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from scratch_postgres import free_port, pg, run_sync, scratch_database

LENDING = str(Path(sys.executable).with_name("lending"))
MIGRATIONS = Path(__file__).resolve().parents[2] / "lending" / "piccolo_migrations"
TIMEOUT_S = 120
TABLES = ("branch", "policy", "device", "patron", "loan", "hold", "staff_user", "event")


# -- running the command ---------------------------------------------------------------------


def lending(*args: str, url: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "LENDING_DATABASE_URL": url, "LENDING_RUN_JOBS": "0", **env}
    environ.pop("PICCOLO_CONF", None)
    return subprocess.run(
        [LENDING, *args],
        env=environ,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def refused(result: subprocess.CompletedProcess[str]) -> str:
    """A failure an operator can read: non-zero exit, a message, no traceback."""
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    assert result.stderr.strip(), "a refusal must say why on stderr"
    return result.stderr


# -- databases -------------------------------------------------------------------------------


async def _pg(url: str, statement: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in await pg(statement, url)]


def sql(url: str, statement: str) -> list[tuple[Any, ...]]:
    """Run one statement straight on the database (sync tests only)."""
    if url.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
            rows = conn.execute(statement).fetchall()
            conn.commit()
            return rows
    return run_sync(_pg(url, statement))


def counts(url: str) -> dict[str, int]:
    return {table: sql(url, f"SELECT count(*) FROM {table}")[0][0] for table in TABLES}


@contextlib.contextmanager
def new_database(kind: str, folder: Path) -> Iterator[str]:
    """An empty database (never migrated) and its LENDING_DATABASE_URL."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'lending.sqlite3'}"
        return
    with scratch_database("lending_cli") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request, tmp_path) -> Iterator[str]:
    with new_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def migrated_url(empty_url, tmp_path) -> str:
    succeeded(lending("migrate", url=empty_url, cwd=tmp_path))
    return empty_url


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def unmigrated_url(request, tmp_path_factory) -> Iterator[str]:
    """One never-migrated database per kind, shared by the tests that must leave it alone."""
    with new_database(request.param, tmp_path_factory.mktemp("unmigrated")) as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def staff_url(request, tmp_path_factory) -> Iterator[str]:
    """One migrated database per kind for the `staff add` tests (each uses its own usernames)."""
    folder = tmp_path_factory.mktemp("staff")
    with new_database(request.param, folder) as url:
        succeeded(lending("migrate", url=url, cwd=folder))
        yield url


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


def staff_named(url: str, username: str) -> int:
    return sql(url, f"SELECT count(*) FROM staff_user WHERE username = '{username}'")[0][0]


class Seeded:
    def __init__(self, url: str, folder: Path, output: str) -> None:
        self.url, self.folder, self.output = url, folder, output


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def seeded(request, tmp_path_factory) -> Iterator[Seeded]:
    """A database seeded once by `lending demo` (seeding takes a few seconds)."""
    folder = tmp_path_factory.mktemp(f"demo-{request.param}")
    with new_database(request.param, folder) as url:
        succeeded(lending("migrate", url=url, cwd=folder))
        yield Seeded(url, folder, succeeded(lending("demo", url=url, cwd=folder)))


# -- the app, to prove that accounts work ----------------------------------------------------


@contextlib.asynccontextmanager
async def app_client(url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app started the way a server starts it (lifespan included)."""
    from litestar.testing import AsyncTestClient

    from lending.app import create_app
    from lending.settings import Settings

    app = create_app(Settings(database_url=url, run_jobs=False))
    async with AsyncTestClient(app=app) as client:
        yield client


async def token_for(client: httpx.AsyncClient, **credentials: str) -> dict[str, Any]:
    r = await client.post("/api/auth/token", json=credentials)
    assert r.status_code == 200, (credentials, r.text)
    return r.json()


def demo_logins(output: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    staff = re.findall(r"staff (\S+)\s+/ password (\S+)", output)
    residents = re.findall(r"resident card (\S+) / PIN (\S+)", output)
    return staff, residents


def leaves(exc: BaseException) -> Iterator[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from leaves(inner)
    else:
        yield exc


# -- migrate ---------------------------------------------------------------------------------


def test_migrate_applies_every_migration_to_a_new_database_then_nothing(empty_url, tmp_path):
    known = len([p for p in MIGRATIONS.glob("*.py") if p.name != "__init__.py"])

    first = succeeded(lending("migrate", url=empty_url, cwd=tmp_path))
    second = succeeded(lending("migrate", url=empty_url, cwd=tmp_path))

    assert f"({known} migration(s) applied now)" in first
    assert "(0 migration(s) applied now)" in second
    assert counts(empty_url)["staff_user"] == 0


# -- serve -----------------------------------------------------------------------------------


def test_serve_refuses_a_database_that_was_never_migrated(unmigrated_url, tmp_path):
    result = lending("serve", "--port", str(free_port()), url=unmigrated_url, cwd=tmp_path)

    assert "lending migrate" in refused(result)


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--port", "99999", "99999 is not a port: use a number from 1 to 65535"),
        ("--port", "-5", "-5 is not a port"),
        ("--port", "0", "0 is not a port"),
        ("--port", "http", "'http' is not a port number"),
        ("--workers", "0", "0 workers: use a number from 1 to 64"),
    ],
)
def test_serve_refuses_a_port_or_worker_count_it_could_not_use(
    migrated_url, tmp_path, option, value, said
):
    result = lending("serve", option, value, url=migrated_url, cwd=tmp_path)

    assert result.returncode == 2
    assert said in refused(result)
    assert "Listening" not in result.stdout + result.stderr


def test_serve_on_a_missing_sqlite_file_refuses_without_creating_it(tmp_path):
    path = tmp_path / "nothing-here.sqlite3"

    result = lending("serve", "--port", str(free_port()), url=f"sqlite:///{path}", cwd=tmp_path)

    assert "lending migrate" in refused(result)
    assert not path.exists()


def test_serve_refuses_a_database_with_a_migration_missing(migrated_url, tmp_path):
    sql(migrated_url, "DELETE FROM migration WHERE id = (SELECT max(id) FROM migration)")

    result = lending("serve", "--port", str(free_port()), url=migrated_url, cwd=tmp_path)

    assert "1 migration(s) pending" in refused(result)


async def test_app_refuses_to_start_on_a_database_that_was_never_migrated(unmigrated_url):
    from lending.services.library.migrations import DatabaseNotMigrated

    with pytest.raises(BaseException) as raised:  # noqa: B017 - Litestar wraps it in a group
        async with app_client(unmigrated_url):
            pass

    refusals = [e for e in leaves(raised.value) if isinstance(e, DatabaseNotMigrated)]
    assert refusals, raised.value
    assert "lending migrate" in refusals[0].detail


# -- demo ------------------------------------------------------------------------------------


def test_demo_seeds_branches_policies_devices_patrons_loans_and_holds(seeded):
    seen = counts(seeded.url)

    assert seen["branch"] == 3
    assert seen["policy"] == 3
    assert 50 <= seen["device"] <= 70
    assert 30 <= seen["patron"] <= 50
    assert seen["loan"] > 0
    assert seen["hold"] > 0
    assert sql(seeded.url, "SELECT count(*) FROM loan WHERE returned_at IS NULL")[0][0] > 0
    assert "Demo logins" in seeded.output


async def test_demo_logins_printed_by_demo_let_staff_and_residents_log_in(seeded):
    staff, residents = demo_logins(seeded.output)
    assert len(staff) == 2 and residents, seeded.output

    async with app_client(seeded.url) as client:
        roles = {
            (await token_for(client, username=user, password=password))["role"]
            for user, password in staff
        }
        for card, pin in residents:
            token = await token_for(client, card_number=card, pin=pin)
            assert token["role"] == "resident"
            bearer = {"Authorization": f"Bearer {token['access_token']}"}
            me = await client.get("/api/me/loans", headers=bearer)
            assert me.status_code == 200 and me.json()["items"], me.text  # "has a hotspot on loan"

    assert roles == {"admin", "desk"}


def test_second_demo_refuses_and_leaves_the_database_unchanged(seeded):
    before = counts(seeded.url)

    stderr = refused(lending("demo", url=seeded.url, cwd=seeded.folder))

    assert "not empty" in stderr
    assert counts(seeded.url) == before


def test_demo_if_empty_on_a_seeded_database_changes_nothing_and_prints_the_logins(seeded):
    before = counts(seeded.url)

    output = succeeded(lending("demo", "--if-empty", url=seeded.url, cwd=seeded.folder))

    assert demo_logins(output) == demo_logins(seeded.output)
    assert counts(seeded.url) == before


def test_demo_if_empty_seeds_an_empty_database(tmp_path):
    # What `make run` does on a first start (SQLite only: seeding itself is tested on both).
    url = f"sqlite:///{tmp_path / 'lending.sqlite3'}"
    succeeded(lending("migrate", url=url, cwd=tmp_path))

    output = succeeded(lending("demo", "--if-empty", url=url, cwd=tmp_path))

    assert counts(url)["branch"] == 3
    assert demo_logins(output)[0]


def test_demo_on_a_fresh_sqlite_database_has_plans_lines_and_notices_in_the_outbox(tmp_path):
    # `make run` from a fresh clone: carrier pages, a suspended line and notices to read.
    url = f"sqlite:///{tmp_path / 'lending.sqlite3'}"
    succeeded(lending("migrate", url=url, cwd=tmp_path))

    output = succeeded(lending("demo", url=url, cwd=tmp_path))

    assert "notices in the local outbox" in output
    assert sql(url, "SELECT count(*) FROM data_plan")[0][0] == 2
    hotspots = sql(url, "SELECT count(*) FROM device WHERE kind = 'hotspot'")[0][0]
    in_hotspots = sql(url, "SELECT count(*) FROM service_line WHERE device IS NOT NULL")[0][0]
    assert in_hotspots == hotspots - 2  # two hotspots show "Install a line"
    assert sql(url, "SELECT count(*) FROM service_line WHERE status = 'suspended'")[0][0] == 1
    outboxed = sql(url, "SELECT count(*) FROM notice WHERE channel = 'outbox'")[0][0]
    assert outboxed >= 1
    files = sorted((tmp_path / "outbox").iterdir())
    assert files and any("ready for pickup" in f.read_text() for f in files)
    # Weeks later, without the outbox and without email: the delivery run fails, and says why.
    later = (datetime.now(UTC) + timedelta(days=20)).isoformat()
    succeeded(lending("jobs", "run", "overdue", "--now", later, url=url, cwd=tmp_path))
    result = lending(
        "jobs", "run", "deliver_notices", "--now", later, url=url, cwd=tmp_path,
        LENDING_OUTBOX_DIR="",
    )  # fmt: skip
    assert "LENDING_SMTP_HOST" in refused(result) and "recorded failing" in result.stderr


def test_demo_if_empty_on_a_real_library_adds_nothing_and_prints_no_demo_logins(
    migrated_url, tmp_path
):
    succeeded(
        lending(
            "staff", "add", "admin", "--role", "admin", "--password", "our-own-secret",
            url=migrated_url, cwd=tmp_path,
        )
    )  # fmt: skip
    before = counts(migrated_url)

    output = succeeded(lending("demo", "--if-empty", url=migrated_url, cwd=tmp_path))

    assert "demo-admin-pass" not in output
    assert "no demo data was added" in output
    assert counts(migrated_url) == before


@pytest.mark.parametrize(
    "command",
    [("demo",), ("staff", "add", "maria", "--role", "desk", "--password", "long-enough-pw")],
    ids=["demo", "staff add"],
)
def test_commands_refuse_a_database_that_was_never_migrated(unmigrated_url, tmp_path, command):
    assert "lending migrate" in refused(lending(*command, url=unmigrated_url, cwd=tmp_path))


# -- staff add -------------------------------------------------------------------------------


async def test_staff_add_creates_accounts_that_can_log_in(staff_url, tmp_path):
    admin, desk = unique("maria"), unique("james")
    for username, role in [(admin, "admin"), (desk, "desk")]:
        output = succeeded(
            lending(
                "staff", "add", username, "--role", role, "--password", "long-enough-pw",
                url=staff_url, cwd=tmp_path,
            )
        )  # fmt: skip
        assert f"Added {role} account '{username}'" in output

    async with app_client(staff_url) as client:
        admin_token = await token_for(client, username=admin, password="long-enough-pw")
        desk_token = await token_for(client, username=desk, password="long-enough-pw")

    assert (admin_token["role"], desk_token["role"]) == ("admin", "desk")


async def test_staff_add_ties_a_partner_account_to_its_partner_organisation(staff_url, tmp_path):
    username, code = unique("ana"), unique("HA")
    add = ("staff", "add", username, "--role", "partner", "--password", "long-enough-pw")
    # No such partner yet; a partner account without one; a desk account with one.
    assert f"partner: no partner organisation with code '{code}'" in refused(
        lending(*add, "--partner", code, url=staff_url, cwd=tmp_path)
    )
    assert "partner: a partner account names its partner" in refused(
        lending(*add, url=staff_url, cwd=tmp_path)
    )
    desk = ("staff", "add", username, "--role", "desk", "--password", "long-enough-pw")
    assert "partner: only for partner" in refused(
        lending(*desk, "--partner", code, url=staff_url, cwd=tmp_path)
    )
    assert staff_named(staff_url, username) == 0
    sql(staff_url, f"INSERT INTO partner (code, name, created_at) VALUES ('{code}', 'HA', "
                   "CURRENT_TIMESTAMP)")  # fmt: skip

    output = succeeded(lending(*add, "--partner", code, url=staff_url, cwd=tmp_path))

    assert f"Added partner account '{username}' of partner {code}." in output
    async with app_client(staff_url) as client:
        token = await token_for(client, username=username, password="long-enough-pw")
        assert token["role"] == "partner"
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        # Partner staff see their partner's programs only (none yet), and no patron list.
        r = await client.get("/api/programs", headers=bearer)
        assert r.status_code == 200 and r.json()["items"] == []
        assert (await client.get("/api/patrons", headers=bearer)).status_code == 403


def test_staff_add_refuses_a_username_already_taken(staff_url, tmp_path):
    username = unique("maria")
    add = ("staff", "add", username, "--role", "desk", "--password")
    succeeded(lending(*add, "first-password", url=staff_url, cwd=tmp_path))

    stderr = refused(lending(*add, "second-password", url=staff_url, cwd=tmp_path))

    assert f"Staff user '{username}' already exists" in stderr
    assert staff_named(staff_url, username) == 1


def test_staff_add_rejects_an_unknown_role(staff_url, tmp_path):
    username = unique("maria")

    result = lending(
        "staff", "add", username, "--role", "boss", "--password", "long-enough-pw",
        url=staff_url, cwd=tmp_path,
    )  # fmt: skip

    assert result.returncode == 2
    assert "invalid choice: 'boss'" in refused(result)
    assert staff_named(staff_url, username) == 0


def test_staff_add_refuses_a_short_password(staff_url, tmp_path):
    username = unique("maria")

    result = lending(
        "staff", "add", username, "--role", "desk", "--password", "short",
        url=staff_url, cwd=tmp_path,
    )  # fmt: skip

    assert "password: at least 8 characters" in refused(result)
    assert staff_named(staff_url, username) == 0


async def test_every_staff_add_is_in_the_audit_trail_as_done_by_cli(staff_url, tmp_path):
    admin, desk = unique("boss"), unique("front")
    for username, role in [(admin, "admin"), (desk, "desk")]:
        succeeded(
            lending(
                "staff", "add", username, "--role", role, "--password", "long-enough-pw",
                url=staff_url, cwd=tmp_path,
            )
        )  # fmt: skip

    async with app_client(staff_url) as client:
        token = await token_for(client, username=admin, password="long-enough-pw")
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        events = {}
        for username in (admin, desk):
            r = await client.get("/api/events", params={"subject": username}, headers=bearer)
            assert r.status_code == 200, r.text
            events[username] = [(e["actor"], e["action"]) for e in r.json()["items"]]

    assert events == {admin: [("cli", "staff_added")], desk: [("cli", "staff_added")]}


# -- configuration and connection errors -----------------------------------------------------


def test_unsupported_database_url_is_a_configuration_error(tmp_path):
    result = lending("migrate", url="mysql://x", cwd=tmp_path)

    assert result.returncode == 2
    assert "configuration error: LENDING_DATABASE_URL" in refused(result)


@pytest.mark.parametrize(
    "command",
    [
        ("migrate",),
        ("serve", "--port", "18000"),  # refused before it binds
        ("staff", "add", "maria", "--role", "desk", "--password", "long-enough-pw"),
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_unreachable_postgres_is_reported_plainly(command, tmp_path):
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/lending"

    stderr = refused(lending(*command, url=url, cwd=tmp_path))

    assert "cannot reach the database" in stderr
    assert "LENDING_DATABASE_URL" in stderr


def test_sqlite_file_in_a_missing_folder_is_reported_plainly(tmp_path):
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'lending.sqlite3'}"

    stderr = refused(lending("migrate", url=url, cwd=tmp_path))

    assert "cannot reach the database" in stderr
    assert "does not exist" in stderr


def test_invalid_timezone_is_a_configuration_error(tmp_path):
    url = f"sqlite:///{tmp_path / 'lending.sqlite3'}"

    result = lending("migrate", url=url, cwd=tmp_path, LENDING_TIMEZONE="Mars/Olympus_Mons")

    assert result.returncode == 2
    assert "LENDING_TIMEZONE 'Mars/Olympus_Mons' is not an IANA time zone" in refused(result)
    assert not (tmp_path / "lending.sqlite3").exists()


# -- offline import --------------------------------------------------------------------------


def test_offline_import_replays_an_exported_queue_once(seeded, tmp_path):
    [(desk, _), *_] = [s for s in demo_logins(seeded.output)[0] if "desk" in s[0]]
    [(device,)] = sql(seeded.url, "SELECT barcode FROM device WHERE status = 'available' "
                                  "AND kind = 'hotspot' AND program IS NULL ORDER BY id LIMIT 1")  # fmt: skip
    [(card,)] = sql(seeded.url, "SELECT card_number FROM patron p WHERE blocked = false AND "
                                "expires_on > CURRENT_DATE AND NOT EXISTS (SELECT 1 FROM loan l "
                                "JOIN patron o ON o.id = l.patron WHERE o.id = p.id OR "
                                "o.household = p.household) ORDER BY id LIMIT 1")  # fmt: skip
    at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    queue = {"id": unique("bm1"), "transactions": [
        {"id": unique("t"), "type": "checkout", "device": device, "patron": card, "at": at,
         "clerk": desk},
        {"id": unique("t"), "type": "checkin", "device": "NO-SUCH-DEVICE", "at": at, "clerk": desk},
    ]}  # fmt: skip
    file = tmp_path / "queue.json"
    file.write_text(json.dumps(queue))

    output = succeeded(lending("offline", "import", str(file), url=seeded.url, cwd=tmp_path))

    assert "2 transactions, 1 applied, 1 on the exceptions list" in output
    assert "exception: checkin NO-SUCH-DEVICE" in output and "device_not_found" in output
    lent = sql(seeded.url, "SELECT count(*) FROM loan l JOIN device d ON d.id = l.device "
                           f"WHERE d.barcode = '{device}' AND l.returned_at IS NULL")  # fmt: skip
    assert lent == [(1,)]
    again = succeeded(lending("offline", "import", str(file), url=seeded.url, cwd=tmp_path))
    assert "was already replayed" in again and "nothing changed" in again
    assert sql(seeded.url, "SELECT count(*) FROM loan l JOIN device d ON d.id = l.device "
                           f"WHERE d.barcode = '{device}'") == [(1,)]  # fmt: skip


@pytest.mark.parametrize(
    "content, message",
    [
        (b"{not json", "not JSON"),
        (b'{"id": "x", "transactions": "lots"}', "not an offline session"),
        (b" " * (5 * 1024 * 1024), "larger than 4 MB"),
        (None, "is not a file"),
    ],
    ids=["not-json", "wrong-shape", "50-mb", "missing"],
)
def test_offline_import_refuses_a_bad_file_and_replays_nothing(
    staff_url, tmp_path, content, message
):
    file = tmp_path / "queue.json"
    if content is not None:
        file.write_bytes(content)
    before = sql(staff_url, "SELECT count(*) FROM offline_session")

    result = lending("offline", "import", str(file), url=staff_url, cwd=tmp_path)

    assert result.returncode == 2 and message in refused(result)
    assert sql(staff_url, "SELECT count(*) FROM offline_session") == before


def test_offline_import_refuses_a_forged_clerk(staff_url, tmp_path):
    at = datetime.now(UTC).isoformat()
    file = tmp_path / "queue.json"
    file.write_text(json.dumps({"id": unique("s"), "transactions": [
        {"id": "t1", "type": "checkin", "device": "D1", "at": at, "clerk": "nobody-here"}]}))  # fmt: skip

    result = lending("offline", "import", str(file), url=staff_url, cwd=tmp_path)

    assert result.returncode == 2
    assert "transactions[0].clerk: no active staff account 'nobody-here'" in refused(result)
    assert sql(staff_url, "SELECT count(*) FROM offline_session") == [(0,)]
