"""The Piccolo app: tables and migrations."""

from piccolo.conf.apps import AppConfig

from .piccolo_migrations import FOLDER as MIGRATIONS_FOLDER
from .tables import TABLES

APP_CONFIG = AppConfig(
    app_name="lending",
    migrations_folder_path=str(MIGRATIONS_FOLDER),
    table_classes=list(TABLES),
    migration_dependencies=[],
    commands=[],
)
