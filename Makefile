# Everything a fresh machine needs is installed from here (PyPI, Debian): see README.md.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
PYTHON_VERSION := $(shell cat .python-version)
# pyenv's shims pick the interpreter from .python-version; uv is installed next to it.
PY := python$(PYTHON_VERSION)
UV := $(PY) -m uv
VENV := .venv
RUN := $(VENV)/bin/python
DEMO_ENV := DJANGO_DEBUG=true EMAIL_FILE_PATH=var/emails SUPPORT_EMAIL=support@codementorhub.test
HOST ?= 127.0.0.1
PORT ?= 8000
# The email benchmark's own PostgreSQL database (created, migrated and emptied by the script).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/codementorhub_bench
BENCH_EMAILS ?= 1000
# The load test's own PostgreSQL database (dropped, re-created and seeded by the script).
LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/codementorhub_load

.PHONY: help install demo test test-unit test-e2e lint browser proxy migrate clean bench bench-email load

help:
	@echo "make demo   - run CodeMentorHub with demo data on http://$(HOST):$(PORT)"
	@echo "make test   - the whole test suite (unit + browser)"

$(VENV)/.installed: pyproject.toml uv.lock .python-version
	@$(UV) --version >/dev/null 2>&1 || $(PY) -m pip install --quiet uv
	$(UV) sync --frozen --python "$$($(PY) -c 'import sys; print(sys.executable)')"
	@mkdir -p var
	@touch $@

install: $(VENV)/.installed

# axe-core checks every page the browser tests visit (tests/e2e/a11y.py loads AXE_JS).
AXE_CORE_VERSION := 4.14.1
AXE_DIR := var/axe
AXE_JS := $(AXE_DIR)/node_modules/axe-core/axe.min.js

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@if [ ! -f $(AXE_JS) ] || ! grep -q '"version": "$(AXE_CORE_VERSION)"' $(AXE_DIR)/node_modules/axe-core/package.json; then \
	  command -v npm >/dev/null 2>&1 || { \
	    echo "Installing Debian's npm for axe-core..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }; \
	  echo "Installing axe-core $(AXE_CORE_VERSION) into $(AXE_DIR)/..."; \
	  npm install --no-save --no-audit --no-fund --loglevel=error --prefix $(AXE_DIR) axe-core@$(AXE_CORE_VERSION); \
	fi

# nginx in front of a real gunicorn: the slow-client tests run docs/DEPLOYMENT.md's server block.
proxy:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  echo "Installing Debian's nginx for the slow-client tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }

migrate: install
	$(DEMO_ENV) $(RUN) manage.py migrate --noinput

demo: migrate
	@mkdir -p var/emails
	@$(DEMO_ENV) $(RUN) manage.py seed_demo --password $${DEMO_PASSWORD:-demo1234}
	@echo "Emails are written to var/emails/ (one file per delivery run)."
	@echo "Open http://$(HOST):$(PORT) — Ctrl+C stops the web server and the worker."
	@trap 'kill 0' INT TERM EXIT; \
	  $(DEMO_ENV) $(RUN) manage.py run_worker --sweep-every 30 & \
	  $(DEMO_ENV) $(RUN) manage.py runserver --noreload $(HOST):$(PORT)

# Test processes for the tests outside the browser (pytest-xdist; each has its own test
# database and its own ports). PYTEST_WORKERS=0 runs them in pytest's own process. Then,
# in one process: the `serial` tests (they rewrite files the others read) and the browser
# tests (each already runs a browser, a live server and a worker).
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist worksteal

test: install browser proxy
	$(RUN) -m pytest -q -m "not e2e and not serial" $(PYTEST_PARALLEL)
	$(RUN) -m pytest -q -m "serial or e2e"
	@echo "The suite above ran on $${DATABASE_URL:-SQLite}."

test-unit: install proxy
	$(RUN) -m pytest -q -m "not e2e and not serial" $(PYTEST_PARALLEL)
	$(RUN) -m pytest -q -m "serial and not e2e"

test-e2e: install browser
	$(RUN) -m pytest -q -m e2e

lint: install
	$(VENV)/bin/ruff check .

# Server time of the main pages at 100,000 sessions against the floor and Django's admin
# (README, "Benchmarks"). SQLite (var/bench.sqlite3) unless DATABASE_URL names a *bench* database.
BENCH_SESSIONS ?= 100000
bench: install
	$(RUN) scripts/bench/bench_pages.py --sessions $(BENCH_SESSIONS)

# Delivery throughput with 1 and 2 workers on PostgreSQL (README, "Benchmarks").
bench-email: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(RUN) scripts/bench/bench_email.py --create-database --emails $(BENCH_EMAILS) --webhooks

# 50 users for 60 s against gunicorn + PostgreSQL + the worker (README, "Load test").
load: install
	DATABASE_URL=$(LOAD_DATABASE_URL) $(RUN) scripts/load_test.py
