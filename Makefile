# Guichet — the two commands of the README, and a few helpers they use.
#   make run   fresh machine -> running app on http://127.0.0.1:$(PORT) with demo data
#   make test  fresh machine -> the whole suite (lint, types, tests)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ASSETS_STAMP := guichet/ui/static/vendor/.stamp
PORT ?= 8000

.PHONY: run test install assets lint typecheck pytest messages screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(ASSETS_STAMP): tools/assets.json tools/fetch_assets.py | $(STAMP)
	$(BIN)/python tools/fetch_assets.py

assets: $(ASSETS_STAMP)

run: install assets
	$(BIN)/guichet migrate --noinput
	$(BIN)/guichet compilemessages --ignore=.venv >/dev/null 2>&1 || true
	$(BIN)/guichet demo --if-empty
	$(BIN)/guichet serve --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy guichet

pytest: install assets
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

messages: install
	cd guichet && ../$(BIN)/guichet makemessages -l fr -l en --no-obsolete --ignore='migrations/*'
	cd guichet && ../$(BIN)/guichet compilemessages

screenshots: install assets
	$(BIN)/python tools/screenshots.py http://127.0.0.1:$(PORT)

clean:
	rm -rf $(VENV) guichet/ui/static/vendor var
