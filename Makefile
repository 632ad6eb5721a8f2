# The two commands: `make run` serves callfunnel on SQLite, `make test` runs the suite on SQLite and PostgreSQL.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 0.0.0.0
INSTALLED := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgres bench demo install screenshots

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/callfunnel serve --host $(HOST) --port $(PORT)

test: $(INSTALLED)
	scripts/run-tests.sh

test-sqlite: $(INSTALLED)
	scripts/install-test-tools.sh
	$(BIN)/pytest

# The console's pictures in the README, taken by its browser tests (docs/screenshots/).
screenshots: $(INSTALLED)
	scripts/install-test-tools.sh
	TZ=Europe/Moscow CALLFUNNEL_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/console

test-postgres: $(INSTALLED)
	scripts/run-tests.sh postgres

demo: $(INSTALLED)
	scripts/demo.sh

bench: $(INSTALLED)
	scripts/bench.sh
