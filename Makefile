# The two commands a newcomer runs: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
AXE := tests/browser/node_modules/axe-core/axe.min.js

.PHONY: run test test-postgres lint install clean bench bench-widget browser-deps bench-load \
	bench-outbox translations

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
## outbox worker beside it (emails land in the dev mailbox at /dev/mailbox/) and an events
## worker (it applies stored webhooks: all of them with APPLY_EVENTS_IN_WORKER=1, otherwise
## only what the server left unapplied).
run: $(VENV)/.runtime
	$(BIN)/flask db upgrade
	$(BIN)/flask outbox work & outbox=$$!; $(BIN)/flask events work & events=$$!; \
	trap "kill $$outbox $$events" EXIT INT TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port 5000

## Lint, then the whole suite (SQLite; PostgreSQL when TEST_DATABASE_URL is set). The browser
## tests (tests/browser/) are skipped, with the reason, where Chromium is missing.
test: $(VENV)/.dev $(AXE)
	$(BIN)/ruff check .
	$(BIN)/pytest

## The suite against the local PostgreSQL server's `test` database.
test-postgres: $(VENV)/.dev $(AXE)
	TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test $(BIN)/pytest

## After changing a reader-facing string: collect the marked strings, merge them into each
## language's .po (translate what is new or empty there), and compile the .mo files we ship.
translations: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output \
		--project donate -o donate/translations/messages.pot .
	$(BIN)/pybabel update -i donate/translations/messages.pot -d donate/translations \
		--no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d donate/translations --statistics

## Seed BENCH_DONATIONS (default 1,000,000) donations into PostgreSQL (BENCH_DATABASE_URL,
## default the local server's `bench` database, created if missing) and time the staff
## dashboard, lists and CSV export.
bench: $(VENV)/.dev
	$(BIN)/python bench/staff_bench.py

## gunicorn (gunicorn.conf.py) on PostgreSQL's `bench_load` database under wrk: the bare Flask
## ceiling, GET /widget, POST /donations and webhook bursts with duplicates, then a ledger check.
## Needs wrk (apt-get install wrk). Results in bench/RESULTS.md and bench/results/.
bench-load: $(VENV)/.dev
	$(BIN)/python bench/load.py

## Outbox delivery rate: enqueue BENCH_EMAILS, time `flask outbox work --once` into an SMTP sink.
bench-outbox: $(VENV)/.dev
	$(BIN)/python bench/outbox_rate.py

## Load the widget from an article in Chromium: requests, bytes and time until interactive.
bench-widget: $(VENV)/.dev
	$(BIN)/python bench/widget_weight.py

## What the browser tests need besides the venv: Debian's Chromium (apt-get, as root) and
## axe-core from npm (the version pinned in tests/browser/package.json; nothing is vendored).
browser-deps: $(AXE)
	command -v chromium >/dev/null || { apt-get update && apt-get install -y chromium; }

$(AXE): tests/browser/package.json
	@if command -v npm >/dev/null && npm install --prefix tests/browser --no-package-lock \
	    --no-audit --no-fund --loglevel=error; then touch $@; \
	else echo "axe-core not installed (no npm, or offline): accessibility tests will be skipped"; fi

lint: $(VENV)/.dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis tests/browser/node_modules
