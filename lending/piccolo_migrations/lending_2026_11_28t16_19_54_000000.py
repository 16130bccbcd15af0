"""Guards and indexes for shelf audits, kits and return to service (partial unique indexes).

Separate from the table migration because Piccolo runs raw steps before it creates tables.
Every statement works on SQLite and PostgreSQL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T16:19:54:000000"
VERSION = "1.38.0"
DESCRIPTION = "inventory_guards"

GUARDS = [
    # One open audit per branch and location (two people may audit two shelves at once).
    "CREATE UNIQUE INDEX shelf_audit_one_open ON shelf_audit (branch, location) "
    "WHERE status = 'open'",
    # A barcode counts once per audit: a second scan, even from another scanner at the same
    # moment, is recorded as a duplicate.
    "CREATE UNIQUE INDEX audit_item_first_scan ON audit_item (audit, barcode) "
    "WHERE result <> 'duplicate'",
    "CREATE INDEX audit_item_audit_device ON audit_item (audit, device)",
    # A device's kit has one active part of each name.
    "CREATE UNIQUE INDEX kit_part_name_per_device ON kit_part (device, name) "
    "WHERE status <> 'removed'",
    # At most one open return-to-service run and one open repair per device.
    "CREATE UNIQUE INDEX processing_one_open ON processing (device) WHERE status = 'open'",
    "CREATE UNIQUE INDEX maintenance_one_open ON maintenance (device) WHERE resolved_at IS NULL",
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
