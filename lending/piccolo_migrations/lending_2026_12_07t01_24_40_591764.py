from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T01:24:40:591764"
VERSION = "1.38.0"
DESCRIPTION = "event_request_id"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="lending", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Event",
        tablename="event",
        column_name="request_id",
        db_column_name="request_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
