"""The deployment files (compose file, CI entry point) stay valid and keep their promises.

No database and no Docker needed: the compose file is checked against the Compose Specification's
JSON schema bundled with check-jsonschema.
"""

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
CI_RUN = ROOT / ".ci" / "run"


def load_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def test_compose_file_matches_the_compose_specification():
    check_jsonschema = Path(sys.executable).parent / "check-jsonschema"
    assert check_jsonschema.exists(), f"check-jsonschema not installed next to {sys.executable}"

    result = subprocess.run(
        [str(check_jsonschema), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_app_waits_for_a_healthy_database_and_reads_its_url_from_the_environment():
    services = load_compose()["services"]
    app = services["app"]

    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert "healthcheck" in services["db"]
    assert app["environment"]["LENDING_DATABASE_URL"].startswith("postgresql://")
    assert "@db:5432/" in app["environment"]["LENDING_DATABASE_URL"]


def test_compose_app_is_configured_only_through_environment_variables():
    app = load_compose()["services"]["app"]

    assert "volumes" not in app, "configuration files must not be mounted into the app"
    assert "command" not in app and "entrypoint" not in app
    assert all(name.startswith("LENDING_") for name in app["environment"])


def test_ci_entry_point_is_executable_and_runs_make_test():
    assert CI_RUN.exists()
    assert os.access(CI_RUN, os.X_OK), ".ci/run must be executable (chmod +x .ci/run)"

    text = CI_RUN.read_text(encoding="utf-8")

    assert text.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in text
    assert "make test" in text


def test_ci_entry_point_is_valid_bash():
    result = subprocess.run(["bash", "-n", str(CI_RUN)], capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
