# Two commands on a fresh machine (needs only python3 >= 3.11 and make):
#   make run    venv, install, migrate, demo data (once), serve at http://127.0.0.1:$(PORT)
#   make test   venv with the dev extra, the layering contracts (lint-imports), the whole test suite
#               (SQLite; PostgreSQL too when TEST_POSTGRES_URL is set; the browser tests need Debian's chromium)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
export FLASK_APP := supervision

.PHONY: run test install install-dev migrate demo serve clean-venv

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/python -m supervision.setup_instance
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo-data
	$(BIN)/flask search check >/dev/null 2>&1 || $(BIN)/flask search reindex

serve:
	$(BIN)/flask run --host $(HOST) --port $(PORT)

run: demo serve

test: install-dev
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)


clean-venv:
	rm -rf $(VENV)
