# Set-up and everyday commands. Needs only Python 3.11 and make; packages come from PyPI.
#   make run     install, migrate, seed demo data if the database is empty, serve on 127.0.0.1:8000
#   make test    install, run the whole test suite (PYTEST_ARGS="-k checkout -x" to narrow it)
# The database is LENDING_DATABASE_URL (default: the SQLite file lending.sqlite3 in this folder).

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
UV_VERSION ?= 0.13.9
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# The suite runs on two processes (pytest-xdist); PYTEST_WORKERS=0 runs it in this one.
PYTEST_WORKERS ?= 2
LOCK_ARGS ?=
# Only the folders that exist yet, so ruff never fails on a missing path.
LINT_PATHS := $(wildcard lending tests bench)

.DEFAULT_GOAL := help
.PHONY: help venv install run test lint format lock bench clean distclean

help:
	@echo "make run        install, migrate, seed demo data if empty, serve on $(HOST):$(PORT)"
	@echo "make test       install and run pytest (PYTEST_ARGS=... passes options through)"
	@echo "make lint       ruff check and ruff format --check"
	@echo "make format     ruff format and ruff check --fix"
	@echo "make lock       regenerate requirements.lock from pyproject.toml (LOCK_ARGS=--upgrade)"
	@echo "make bench      run the benchmarks in bench/ (circulation, labels, inventory, login flood)"
	@echo "make install    create .venv and install the locked packages (also: make venv)"
	@echo "make clean      remove caches and build output; make distclean also removes .venv"

# The virtual environment and uv inside it; python -m venv on an existing venv is harmless.
$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)

# Re-installs only when pyproject.toml or requirements.lock changes.
$(STAMP): pyproject.toml requirements.lock | $(UV)
	$(UV) pip install --python $(BIN)/python -r requirements.lock
	$(UV) pip install --python $(BIN)/python --no-deps -e .
	@touch $@

venv install: $(STAMP)

# A trial install writes notices to the local outbox folder outbox/ (LENDING_OUTBOX_DIR= turns it off).
run: $(STAMP)
	$(BIN)/lending migrate
	LENDING_OUTBOX_DIR="$${LENDING_OUTBOX_DIR-outbox}" $(BIN)/lending demo --if-empty
	LENDING_OUTBOX_DIR="$${LENDING_OUTBOX_DIR-outbox}" $(BIN)/lending serve --host $(HOST) --port $(PORT)

# pytest exits 5 when it collected no tests: that is a failure, said plainly.
test: $(STAMP)
	@rc=0; $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then \
	  echo "make test: FAILED - pytest collected no tests (exit 5); check PYTEST_ARGS and tests/." >&2; \
	fi; \
	exit $$rc

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

format: $(STAMP)
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS)

# Needs only uv, not the old lock installed (the old lock may be what is broken).
lock: | $(UV)
	$(UV) pip compile pyproject.toml --extra dev -o requirements.lock $(LOCK_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/circulation.py
	$(BIN)/python bench/labels.py
	$(BIN)/python bench/inventory.py
	$(BIN)/python bench/login_flood.py

clean:
	rm -rf .pytest_cache .ruff_cache build dist *.egg-info test-artifacts bench/out
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
