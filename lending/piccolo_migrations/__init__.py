"""The schema's migrations, one Piccolo module each. FOLDER is where they live, for Piccolo's app
(lending/piccolo_app.py) and for reading their ids without importing Piccolo's tooling
(services/library/migrations.py)."""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
