from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Serial
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class ServicePoint(Table, tablename="service_point", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


ID = "2026-12-03T08:24:19:859467"
VERSION = "1.38.0"
DESCRIPTION = "hold_pickup_point"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="lending", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Hold",
        tablename="hold",
        column_name="pickup_point",
        db_column_name="pickup_point",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": ServicePoint,
            "on_delete": OnDelete.restrict,
            "on_update": OnUpdate.cascade,
            "target_column": None,
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
