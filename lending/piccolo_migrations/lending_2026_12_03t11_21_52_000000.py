"""Programs: one enrolment per patron and program, one sign-up per patron and session, one row
of terms per program and kind, each partner and service point listed once per program; loans
looked up by program and month for the reports.

Separate from the table migration because Piccolo runs raw steps before it creates tables.
Every statement works on SQLite and PostgreSQL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T11:21:52:000000"
VERSION = "1.38.0"
DESCRIPTION = "program_guards"

GUARDS = [
    "CREATE UNIQUE INDEX enrolment_one_per_patron ON enrolment (program, patron)",
    "CREATE UNIQUE INDEX attendance_one_per_patron ON attendance (session, patron)",
    "CREATE UNIQUE INDEX program_term_one_per_kind ON program_term (program, kind)",
    "CREATE UNIQUE INDEX program_partner_once ON program_partner (program, partner)",
    "CREATE UNIQUE INDEX program_point_once ON program_point (program, service_point)",
    "CREATE INDEX device_program ON device (program) WHERE program IS NOT NULL",
    "CREATE INDEX loan_program ON loan (program, checked_out_at) WHERE program IS NOT NULL",
]
GUARD_NAMES = [
    "enrolment_one_per_patron",
    "attendance_one_per_patron",
    "program_term_one_per_kind",
    "program_partner_once",
    "program_point_once",
    "device_program",
    "loan_program",
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
