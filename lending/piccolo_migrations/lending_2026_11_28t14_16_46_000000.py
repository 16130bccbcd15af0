"""Guards for service lines, notices and carrier actions (partial unique indexes).

Separate from the table migration because Piccolo runs raw steps before it creates tables.
Every statement works on SQLite and PostgreSQL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T14:16:46:000000"
VERSION = "1.38.0"
DESCRIPTION = "line_and_notice_guards"

GUARDS = [
    # A device holds at most one line.
    "CREATE UNIQUE INDEX service_line_one_per_device ON service_line (device) "
    "WHERE device IS NOT NULL",
    # A notice is never queued twice: per loan, per hold, or (digests) per stage.
    "CREATE UNIQUE INDEX notice_once_per_loan ON notice (kind, loan, stage) WHERE loan IS NOT NULL",
    "CREATE UNIQUE INDEX notice_once_per_hold ON notice (kind, hold, stage) WHERE hold IS NOT NULL",
    "CREATE UNIQUE INDEX notice_once_per_digest ON notice (kind, stage) "
    "WHERE loan IS NULL AND hold IS NULL",
    # At most one open carrier action of each kind per line (a second suspend is a no-op).
    "CREATE UNIQUE INDEX carrier_action_one_open ON carrier_action (line, action) "
    "WHERE status IN ('pending', 'task')",
    "CREATE INDEX loan_open_due ON loan (due_at) WHERE returned_at IS NULL",
    "CREATE INDEX loan_returned ON loan (returned_at) WHERE returned_at IS NOT NULL",
    "CREATE INDEX notice_due ON notice (status, next_attempt_at)",
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
