# Two commands: `make run` serves the portal with demo data on SQLite; `make test` runs the suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := portal

.PHONY: run test install translations catalogs check-i18n lint clean serve-prod scan bench bench-compare bench-growth

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

translations: install
	$(BIN)/python tools/i18n.py compile

run: translations
	$(BIN)/flask --app portal setup
	$(BIN)/flask --app portal run --host 127.0.0.1 --port 5000

test: translations
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Re-extract the strings into every catalog after changing user-facing text.
catalogs: install
	$(BIN)/python tools/i18n.py update
	$(BIN)/python tools/i18n.py check

lint: install
	$(BIN)/ruff check portal tests tools
	$(BIN)/bandit -q -r portal -ll -x portal/migrations

serve-prod: translations
	$(BIN)/flask --app portal db upgrade
	$(BIN)/gunicorn -w 4 -b 127.0.0.1:8000 wsgi:app

# The outside scanner (wapiti) in its own virtualenv: its dependencies must not meet ours.
# wapiti3 3.2.3 is the newest release that runs on Python 3.11 (3.3 wants 3.12).
SCAN_VENV := .venv-scan
WAPITI_VERSION := 3.2.3
SCAN_STAMP := $(SCAN_VENV)/.wapiti-$(WAPITI_VERSION)
SCAN_ARGS ?=

$(SCAN_STAMP):
	$(PY) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/pip install -q --upgrade pip
	$(SCAN_VENV)/bin/pip install -q 'wapiti3==$(WAPITI_VERSION)'
	touch $(SCAN_STAMP)

# Serve the demo company over HTTPS from a scratch database, sign in as each role, scan with
# wapiti (reports in scan/results/), then fail on any finding scan/allowlist.toml does not explain.
scan: translations $(SCAN_STAMP)
	rm -rf scan/results
	$(BIN)/python tools/scan.py --scan-venv $(SCAN_VENV) $(SCAN_ARGS)
	$(BIN)/python tools/scan_report.py

# Load benchmark of the main pages (bench/README.md): make bench BENCH_DB=sqlite|postgresql FACTOR=0.1 DURATION=5
# PostgreSQL needs BENCH_DATABASE_URL=postgresql+psycopg://… (a scratch database: it is filled and written to).
BENCH_DB ?= sqlite
FACTOR ?= 0.1
DURATION ?= 5
CLIENTS ?= 1,8
BENCH_WORKERS ?= 2
BENCH_ARGS ?=
bench: translations
	$(BIN)/python bench/run.py --db $(BENCH_DB) --factor $(FACTOR) --duration $(DURATION) --clients $(CLIENTS) \
		--workers $(BENCH_WORKERS) $(if $(BENCH_DATABASE_URL),--database-url $(BENCH_DATABASE_URL)) $(BENCH_ARGS)

# Growth from F=0.1 to F=1: make bench-compare SMALL=bench/results/…-F0.1.json LARGE=bench/results/…-F1.json
bench-compare: install
	$(BIN)/python bench/compare.py $(SMALL) $(LARGE)

# Growth from F=0.1 to F=1 in one run, both sizes served at once (bench/README.md): make bench-growth BENCH_DB=sqlite
# PostgreSQL: BENCH_ARGS="--small-url postgresql+psycopg://…/a --large-url postgresql+psycopg://…/b" (scratch databases).
bench-growth: translations
	$(BIN)/python bench/growth.py --db $(BENCH_DB) --workers $(BENCH_WORKERS) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(SCAN_VENV) build *.egg-info
