"""Reservations: a device is set aside for at most one reservation unit at a time; reservations
looked up by branch, kind and when their devices are free again; loans of an event looked up
by reservation.

Separate from the table migration because Piccolo runs raw steps before it creates tables.
Every statement works on SQLite and PostgreSQL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-04T18:30:29:000000"
VERSION = "1.38.0"
DESCRIPTION = "reservation_guards"

GUARDS = [
    "CREATE UNIQUE INDEX reservation_unit_one_device ON reservation_unit (device) "
    "WHERE status = 'set_aside'",
    "CREATE INDEX reservation_pool ON reservation (branch, kind, free_at)",
    "CREATE INDEX reservation_set_aside ON reservation (status, set_aside_at)",
    "CREATE INDEX loan_reservation ON loan (reservation) WHERE reservation IS NOT NULL",
]
GUARD_NAMES = [
    "reservation_unit_one_device",
    "reservation_pool",
    "reservation_set_aside",
    "loan_reservation",
]


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
