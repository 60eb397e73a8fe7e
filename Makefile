# Every entry point of the workshop. `make help` lists them.
# The first target that needs Python creates .venv and installs the project into it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
QUEUE ?= *
COUNT ?= 1
JOBS_IMPORT ?= jobs.demo
export JOBS_IMPORT

.DEFAULT_GOAL := help
PORT ?= 5678
.PHONY: help setup demo test lint typecheck unit redis redis-stop redis-cli worker monitor browser clean

help: ## List the make targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

setup: $(INSTALLED) ## Create .venv and install everything (done on first use by the others)

demo: $(INSTALLED) ## Redis, two workers and a stream of demo jobs, live; Ctrl-C stops it all
	$(BIN)/python -m jobs demo

test: lint typecheck unit ## ruff, mypy and every test

lint: $(INSTALLED) ## ruff: lint and formatting
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(INSTALLED) ## mypy (strict) on jobs/
	$(BIN)/mypy

unit: $(INSTALLED) ## The test suite only (pytest)
	$(BIN)/python -m pytest

redis: $(INSTALLED) ## Start the project's own Redis (data in var/redis) and print its URL
	$(BIN)/python -m jobs redis start

redis-stop: $(INSTALLED) ## Stop the project's own Redis (its data stays)
	$(BIN)/python -m jobs redis stop

redis-cli: $(INSTALLED) ## redis-cli on the Redis every command uses
	$(BIN)/python -m jobs redis cli

worker: $(INSTALLED) ## Start workers: make worker QUEUE=sleep COUNT=2 [JOBS_IMPORT=module]
	QUEUE='$(QUEUE)' COUNT=$(COUNT) $(BIN)/python -m jobs work

monitor: $(INSTALLED) ## The web monitor on http://127.0.0.1:$(PORT) (READ_ONLY=1; JOBS_WEB_USER/JOBS_WEB_PASSWORD for basic auth)
	$(BIN)/python -m jobs web --port $(PORT) $(if $(READ_ONLY),--read-only)

browser: ## Install Debian's chromium for the monitor's browser test (as root)
	command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

clean: ## Remove .venv and caches (not var/, which holds your Redis data)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
