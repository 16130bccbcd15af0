"""Service points: one visit of a stop is cancelled once, and every branch gets its own desk.

Separate from the table migration because Piccolo runs raw steps before it creates tables.
Every statement works on SQLite and PostgreSQL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T07:48:50:000000"
VERSION = "1.38.0"
DESCRIPTION = "service_point_guards"

GUARDS = [
    "CREATE UNIQUE INDEX stop_cancellation_once ON stop_cancellation (stop, date)",
]
GUARD_NAMES = ["stop_cancellation_once"]
# Each existing branch's own desk: a service point of type `branch` with the branch's code.
BRANCH_DESKS = (
    "INSERT INTO service_point (code, name, type, branch, address, timezone, hours, active, "
    "created_at) SELECT b.code, b.name, 'branch', b.id, '', NULL, '{}', true, b.created_at "
    "FROM branch b WHERE NOT EXISTS (SELECT 1 FROM service_point s WHERE s.code = b.code)"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="lending", description=DESCRIPTION)

    async def create_guards():
        engine = engine_finder()
        for ddl in GUARDS:
            await engine.run_ddl(ddl)
        await engine.run_ddl(BRANCH_DESKS)

    async def drop_guards():
        engine = engine_finder()
        for name in GUARD_NAMES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_guards)
    manager.add_raw_backwards(drop_guards)
    return manager
