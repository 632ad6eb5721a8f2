# The two commands: `make run` serves callfunnel on SQLite, `make test` runs the suite on SQLite and PostgreSQL.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 0.0.0.0
INSTALLED := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgres bench demo install

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/uvicorn app.main:app --host $(HOST) --port $(PORT) --proxy-headers --timeout-keep-alive 75

test: $(INSTALLED)
	scripts/run-tests.sh

test-sqlite: $(INSTALLED)
	$(BIN)/pytest

test-postgres: $(INSTALLED)
	scripts/run-tests.sh postgres

demo: $(INSTALLED)
	scripts/demo.sh

bench: $(INSTALLED)
	scripts/bench.sh
