# Two commands: `make run` serves the portal with demo data on SQLite; `make test` runs the suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := portal

.PHONY: run test install translations catalogs check-i18n lint clean serve-prod

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

clean:
	rm -rf $(VENV) build *.egg-info
