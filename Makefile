# Two entry points: `make run` (everything local, no services) and `make test` (lint, types,
# the whole suite against real PostgreSQL and Redis). Both install what they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
PORT ?= 8000
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON := $(PYTHON)

.PHONY: install run test lint typecheck pytest services browser messages clean bench-deps bench-http bench-jobs bench-notices

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(BIN)/uv uv.lock pyproject.toml
	$(BIN)/uv sync --frozen --quiet
	@touch $@

install: $(VENV)/.installed

run: install
	mkdir -p var
	DJANGO_SETTINGS_MODULE=ctsportal.settings.local $(BIN)/python manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=ctsportal.settings.local $(BIN)/python manage.py seed_demo
	@echo "Portal: http://127.0.0.1:$(PORT)/  (Ctrl-C stops the web server, worker and beat)"
	PATH="$(CURDIR)/$(BIN):$$PATH" PORT=$(PORT) SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} \
		DJANGO_SETTINGS_MODULE=ctsportal.settings.local $(BIN)/honcho -f Procfile.dev start

# PostgreSQL and Redis: used if running, started if not.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start && sleep 2; }
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && exit 0; sleep 1; done; echo "PostgreSQL or Redis did not start" >&2; exit 1

# Debian's chromium for the browser tests (Playwright's own browser download is not used).
browser:
	@test -x /usr/bin/chromium && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

# wrk (Debian's package) drives the HTTP benchmark.
bench-deps:
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

# The request path under gunicorn (production settings, PostgreSQL, Redis): bench/http.py.
bench-http: install services bench-deps
	$(BIN)/python bench/http.py

# The lifecycle jobs at 10,000 and 100,000 customers: bench/jobs.py.
bench-jobs: install services
	$(BIN)/python bench/jobs.py

# Notices delivered by a real worker to a local SMTP sink, against a no-op task: bench/notices.py.
bench-notices: install services
	$(BIN)/python bench/notices.py

# lint-imports: the apps import downwards only (contracts in pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo

typecheck: install
	$(BIN)/mypy .

# Both cores (pytest-xdist): each worker has its own test database (pytest-django) and its own
# Redis databases (ctsportal/settings/test.py); the tests that start processes of their own
# share one worker (tests/conftest.py). PYTEST_WORKERS=0 runs in this process only.
PYTEST_WORKERS ?= 2
pytest: install services browser
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

test: install services browser lint typecheck pytest

messages: install
	cd $(CURDIR) && DJANGO_SETTINGS_MODULE=ctsportal.settings.local $(BIN)/python manage.py makemessages -l ja -l en --ignore=.venv --ignore=var
	DJANGO_SETTINGS_MODULE=ctsportal.settings.local $(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
