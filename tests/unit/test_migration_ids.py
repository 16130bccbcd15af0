"""The serving process reads the code's migration ids from the files' text; Piccolo imports the
files. Both must name the same migrations, or a server would refuse (or accept) the wrong
database."""

from piccolo.apps.migrations.commands.base import BaseMigrationManager

from lending.piccolo_app import APP_CONFIG
from lending.services.library.migrations import known_migration_ids


def test_the_migration_ids_read_from_the_files_are_the_ones_piccolo_applies():
    manager = BaseMigrationManager()
    modules = manager.get_migration_modules(APP_CONFIG.resolved_migrations_folder_path)
    assert known_migration_ids() == sorted(manager.get_migration_ids(modules))
    assert len(known_migration_ids()) > 10
