"""Drop three indexes the hot path pays for on every write and no query needs.

- `device.barcode` and `patron.card_number` are unique, so each already has the index of its
  unique constraint (`device_barcode_key`, `patron_card_number_key`); the second index on the same
  column only cost an index entry per row version.
- `device.status`: every query that filters on status also names the kind, the branch or the
  barcode, which have their own indexes. Without an index on status, the checkout and checkin
  updates of a device (status, updated_at, last_seen_at, none indexed) are heap-only (HOT) and
  touch none of the device's indexes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-12-02T22:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "drop_redundant_indexes"

DROPPED = [
    ("Device", "device", "barcode"),
    ("Device", "device", "status"),
    ("Patron", "patron", "card_number"),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="lending", description=DESCRIPTION)
    for class_name, tablename, column in DROPPED:
        manager.alter_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name=column,
            db_column_name=column,
            params={"index": False},
            old_params={"index": True},
            column_class=Varchar,
            old_column_class=Varchar,
            schema=None,
        )
    return manager
