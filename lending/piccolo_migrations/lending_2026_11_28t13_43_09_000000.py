"""Guards the ORM cannot express: partial unique indexes and queue indexes.

They run in a migration of their own because Piccolo runs raw steps before it creates tables.
Every statement works on SQLite and PostgreSQL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T13:43:09:000000"
VERSION = "1.38.0"
DESCRIPTION = "guards"

GUARDS = [
    # A device never has two loans that are still out.
    "CREATE UNIQUE INDEX loan_one_open_per_device ON loan (device) WHERE returned_at IS NULL",
    # A patron has at most one open hold per kind.
    "CREATE UNIQUE INDEX hold_one_open_per_patron_kind ON hold (patron, kind) "
    "WHERE status IN ('waiting', 'ready')",
    # A device sits on the hold shelf for at most one hold.
    "CREATE UNIQUE INDEX hold_one_ready_per_device ON hold (device) WHERE status = 'ready'",
    "CREATE UNIQUE INDEX closure_one_per_branch_date ON closure (branch, date)",
    "CREATE INDEX loan_open_by_patron_kind ON loan (patron, kind) WHERE returned_at IS NULL",
    "CREATE INDEX hold_queue ON hold (kind, branch, status, placed_at, id)",
    "CREATE INDEX login_attempt_account_at ON login_attempt (account, at)",
]
GUARD_NAMES = [ddl.split(" INDEX ")[1].split(" ")[0] for ddl in GUARDS]
async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="lending", description=DESCRIPTION)

    async def create_guards():
        engine = engine_finder()
        for ddl in GUARDS:
            await engine.run_ddl(ddl)

    async def drop_guards():
        engine = engine_finder()
        for name in GUARD_NAMES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_guards)
    manager.add_raw_backwards(drop_guards)
    return manager
