# Every entry point of the workshop. `make help` lists them.
# The first target that needs Python creates .venv and installs the project into it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NOTEBOOKS_INSTALLED := $(VENV)/.notebooks-installed
QUEUE ?= *
COUNT ?= 1
VERBOSE ?= 1
JOBS_IMPORT ?= blog_app.jobs,jobs.dev.demo
export JOBS_IMPORT
# Every target here is the workshop's own: without REDIS_URL, it may start the project's Redis
# (var/redis). A library user's process never does that by itself (see jobs/settings.py).
export JOBS_LOCAL_REDIS ?= 1

.DEFAULT_GOAL := help
PORT ?= 5000
MONITOR_PORT ?= 5678
LATENCY ?= 0.5
FAILURE_RATE ?= 0
.PHONY: help setup wheelhouse demo jobs-demo reset blog api-standin smtp-sink measure test lint \
	typecheck unit bench soak redis redis-stop redis-cli worker scheduler monitor browser chapters \
	clean notebooks jupyter monitor-demo

help: ## List the make targets, and the variables they take
	@grep -E '^[a-z0-9%-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' \
	  -v port='$(PORT)' -v monitor_port='$(MONITOR_PORT)' '{ gsub("%", "N", $$1); \
	  gsub(/\$$\(PORT\)/, port, $$2); gsub(/\$$\(MONITOR_PORT\)/, monitor_port, $$2); \
	  printf "  make %-20s %s\n", $$1, $$2 }'
	@echo
	@echo 'Variables, on the command line (make blog PORT=5001) or in the environment:'
	@printf '  %-20s %s\n' \
	  'PORT=$(PORT)' 'the blog (make demo, make blog); the lessons use it too' \
	  'MONITOR_PORT=$(MONITOR_PORT)' 'the monitor alone (make monitor), and make monitor-demo'"'"'s' \
	  'AUTO=1, ACT_SECONDS=, BURST=' 'make monitor-demo: acts on a timer of ACT_SECONDS; jobs in a burst' \
	  'QUEUE=, COUNT=' 'make worker: which queues (* for all), how many workers' \
	  'FORCE=1' 'chapter-N-start, chapter-N-solution: overwrite files you changed' \
	  '' '(a copy of yours is saved under var/chapters/saved/ first)' \
	  'V=1' 'chapter-N: every check with pytest'"'"'s details' \
	  'SMALL=1' 'make notebooks: the quick size CI runs (figures in docs/ untouched)'

# The versions in constraints.txt, from PyPI, or only from a wheelhouse with WHEELHOUSE=dir
# (no network at all: see "Installing offline" in the README).
CONSTRAINTS := constraints.txt
WHEELHOUSE ?=
PIP_INSTALL = $(BIN)/pip install --quiet --constraint $(CONSTRAINTS) \
	$(if $(WHEELHOUSE),--no-index --find-links '$(abspath $(WHEELHOUSE))')

# The queue (core), its monitor (web), the blog and its tools (workshop), the test tools (dev).
$(INSTALLED): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --upgrade pip
	$(PIP_INSTALL) -e '.[web,workshop,dev]'
	touch $(INSTALLED)

setup: $(INSTALLED) ## Create .venv and install everything (done on first use by the others; WHEELHOUSE=dir: offline)

WHEELHOUSE_DIR := var/wheelhouse
# The laptops' Python (major.minor); the wheelhouse holds wheels for Linux x86-64 only.
WHEELHOUSE_PYTHON ?= $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
WHEELHOUSE_PLATFORMS := manylinux_2_28_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64
wheelhouse: $(INSTALLED) ## Every wheel make setup installs, in var/wheelhouse, for installing offline (WHEELHOUSE_PYTHON=3.12)
	@# setuptools would put a module left in an old build/ into the wheel, even one deleted since.
	rm -rf $(WHEELHOUSE_DIR) build
	$(BIN)/pip wheel --quiet --no-deps --wheel-dir $(WHEELHOUSE_DIR) .
	$(BIN)/pip download --quiet --dest $(WHEELHOUSE_DIR) --constraint $(CONSTRAINTS) \
	  --only-binary=:all: --python-version $(WHEELHOUSE_PYTHON) \
	  $(addprefix --platform ,$(WHEELHOUSE_PLATFORMS)) \
	  "$$(ls $(WHEELHOUSE_DIR)/background_jobs_workshop-*.whl)[web,workshop,dev]" pip setuptools
	@echo "$(WHEELHOUSE_DIR): $$(ls $(WHEELHOUSE_DIR) | wc -l) wheels, $$(du -sh $(WHEELHOUSE_DIR) | cut -f1)," \
	  "for Python $(WHEELHOUSE_PYTHON) on Linux x86-64. Offline: make setup WHEELHOUSE=$(WHEELHOUSE_DIR)"

demo: $(INSTALLED) ## The whole workshop: Redis, API stand-in, SMTP sink, a worker and the blog; Ctrl-C stops it all
	$(BIN)/python -m blog_app.workshop.demo --port $(PORT)

jobs-demo: $(INSTALLED) ## The queue alone: Redis, two workers and a stream of demo jobs, live
	$(BIN)/python -m jobs demo

BURST ?= 2000
ACT_SECONDS ?= 15
monitor-demo: $(INSTALLED) ## The instructor's story in acts on the monitor: Enter for the next act (AUTO=1: a timer)
	$(BIN)/python -m jobs.dev.monitor_demo --port $(MONITOR_PORT) --burst $(BURST) \
	  $(if $(filter 1,$(AUTO)),--auto --act-seconds $(ACT_SECONDS))

reset: $(INSTALLED) ## Empty the dev blog (database, uploads, outbox) and the queue's keys in Redis
	$(BIN)/python -m blog_app.workshop.demo reset

blog: $(INSTALLED) ## The blog alone, on Flask's dev server with its debugger (loopback only: never expose it)
	$(BIN)/flask --app blog_app init-db
	$(BIN)/flask --app blog_app run --port $(PORT) --debug

api-standin: $(INSTALLED) ## The third-party spam API stand-in on port 8025 (LATENCY=, FAILURE_RATE=)
	$(BIN)/python -m blog_app.outside.api_standin --port 8025 --latency $(LATENCY) --failure-rate $(FAILURE_RATE)

smtp-sink: $(INSTALLED) ## The SMTP sink on port 8026; mail lands in var/blog/outbox
	$(BIN)/python -m blog_app.outside.smtp_sink --port 8026 --outbox var/blog/outbox

measure: $(INSTALLED) ## Response times of the blog's slow actions
	$(BIN)/python -m blog_app.workshop.measure

test: lint typecheck unit ## ruff, mypy and every test

lint: $(INSTALLED) ## ruff: lint and formatting; notebooks stored without outputs
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m notebooks.clean

typecheck: $(INSTALLED) ## mypy (strict) on jobs/
	$(BIN)/mypy

unit: $(INSTALLED) ## The test suite only (pytest)
	$(BIN)/python -m pytest

SOAK_JOBS ?= 5000
SOAK_KILLS ?= 30
soak: $(INSTALLED) ## Chaos run: SOAK_JOBS jobs, SOAK_KILLS kill -9s in all 3 modes, 2 Redis restarts; fails on a lost job
	$(BIN)/python -m tests.jobs.soak --jobs $(SOAK_JOBS) --kills $(SOAK_KILLS)

# The benchmark's peers and tools are an extra of their own, installed on first use.
BENCH_INSTALLED := $(VENV)/.bench-installed
$(BENCH_INSTALLED): $(INSTALLED)
	$(PIP_INSTALL) -e '.[web,workshop,dev,bench]'
	touch $(BENCH_INSTALLED)

bench: $(BENCH_INSTALLED) ## Our queue vs Sidekiq, Huey and RQ side by side: enqueue, drain, pickup latency, memory (several minutes)
	$(BIN)/python -m bench

# Jupyter and matplotlib are an extra of their own, installed on first use of these targets.
$(NOTEBOOKS_INSTALLED): $(INSTALLED)
	$(PIP_INSTALL) -e '.[web,workshop,dev,notebooks]'
	touch $(NOTEBOOKS_INSTALLED)

notebooks: $(NOTEBOOKS_INSTALLED) ## Run every notebook headless: executed copies and figures in var/notebooks/ (SMALL=1)
	$(BIN)/python -m notebooks $(if $(SMALL),--small,--docs)

jupyter: $(NOTEBOOKS_INSTALLED) ## JupyterLab on notebooks/ (on 127.0.0.1 only)
	PYTHONPATH='$(CURDIR)' $(BIN)/jupyter lab --ServerApp.root_dir=notebooks --ServerApp.ip=127.0.0.1 \
	  $(if $(filter 0,$(shell id -u)),--allow-root)

redis: $(INSTALLED) ## Start the project's own Redis (data in var/redis) and print its URL
	$(BIN)/python -m jobs redis start

redis-stop: $(INSTALLED) ## Stop the project's own Redis (its data stays)
	$(BIN)/python -m jobs redis stop

redis-cli: $(INSTALLED) ## redis-cli on the Redis every command uses
	$(BIN)/python -m jobs redis cli

worker: $(INSTALLED) ## Start workers, logging each job: make worker QUEUE=sleep COUNT=2 [JOBS_IMPORT=module] [VERBOSE=0]
	QUEUE='$(QUEUE)' COUNT=$(COUNT) VERBOSE=$(VERBOSE) $(BIN)/python -m jobs work

scheduler: $(INSTALLED) ## Only the scheduler loop (workers run it too): make scheduler [JOBS_SCHEDULE=file.toml]
	$(BIN)/python -m jobs scheduler

monitor: $(INSTALLED) ## The web monitor alone on http://127.0.0.1:$(MONITOR_PORT) (READ_ONLY=1; JOBS_WEB_USER/JOBS_WEB_PASSWORD)
	$(BIN)/python -m jobs web --port $(MONITOR_PORT) $(if $(READ_ONLY),--read-only)

browser: ## Install Debian's chromium for the monitor's browser test (as root)
	command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

chapters: $(INSTALLED) ## Where you are: the checkpoints in order, up to the first that fails
	$(BIN)/python -m chapters list

# (make takes the rule with the shortest stem, so chapter-1-start goes to the -start rule.)
chapter-%-start: $(INSTALLED) ## Put the app at chapter N's start, with a fresh dev blog and queue
	$(BIN)/python -m chapters start $* $(if $(FORCE),--force)

chapter-%-solution: $(INSTALLED) ## Put chapter N's finished code in place (your data stays)
	$(BIN)/python -m chapters solution $* $(if $(FORCE),--force)

chapter-%: $(INSTALLED) ## Chapter N's checkpoint: what is done and what is missing (V=1)
	$(BIN)/python -m chapters check $* $(if $(V),--verbose)

clean: ## Remove .venv and caches (not var/, which holds your Redis data)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
