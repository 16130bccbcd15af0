from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-28T16:13:40:206966"
VERSION = "1.38.0"
DESCRIPTION = "device_wifi"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="lending", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Device",
        tablename="device",
        column_name="wifi_name",
        db_column_name="wifi_name",
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

    manager.add_column(
        table_class_name="Device",
        tablename="device",
        column_name="wifi_password",
        db_column_name="wifi_password",
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
