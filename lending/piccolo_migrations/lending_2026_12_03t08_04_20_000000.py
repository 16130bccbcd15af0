"""Transfers: a device is on its way to one service point at a time.

Separate from the table migration because Piccolo runs raw steps before it creates tables.
Every statement works on SQLite and PostgreSQL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T08:04:20:000000"
VERSION = "1.38.0"
DESCRIPTION = "transfer_guards"

GUARDS = [
    "CREATE UNIQUE INDEX transfer_one_open ON transfer (device) WHERE status = 'in_transit'",
]
GUARD_NAMES = ["transfer_one_open"]


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
