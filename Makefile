# The two commands a newcomer runs: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test test-postgres lint install clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime

## Serve the app on http://127.0.0.1:5000 (SQLite in instance/, sandbox payments), with an
## outbox worker beside it (emails land in the dev mailbox at /dev/mailbox/).
run: $(VENV)/.runtime
	$(BIN)/flask db upgrade
	$(BIN)/flask outbox work & worker=$$!; trap "kill $$worker" EXIT INT TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port 5000

## Lint, then the whole suite (SQLite; PostgreSQL when TEST_DATABASE_URL is set).
test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/pytest

## The suite against the local PostgreSQL server's `test` database.
test-postgres: $(VENV)/.dev
	TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test $(BIN)/pytest

## Seed BENCH_DONATIONS (default 1,000,000) donations into PostgreSQL (BENCH_DATABASE_URL,
## default the local server's `bench` database, created if missing) and time the staff
## dashboard, lists and CSV export.
bench: $(VENV)/.dev
	$(BIN)/python bench/staff_bench.py

lint: $(VENV)/.dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis
