# Everyday verbs for Seatplan. A fresh machine needs only Python 3.11+ and GNU make: the first
# target that needs them creates .venv and installs the pinned requirements into it.
#
# With no DATABASE_URL / CELERY_BROKER_URL / REDIS_URL in your environment the project runs on the
# embedded default (SQLite file, Celery tasks eager in-process, local-memory cache). Export them
# yourself to point `make run` at PostgreSQL and Redis; `make test` always ignores them.

PY ?= python3
VENV = .venv
PYTHON = $(VENV)/bin/python
MANAGE = DJANGO_SETTINGS_MODULE=config.settings.local $(PYTHON) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

# Stamps record which requirements file the venv was last installed from, so pip runs only
# when a requirements file changes (or the venv is new).
RUNTIME_STAMP = $(VENV)/.installed-requirements
DEV_STAMP = $(VENV)/.installed-requirements-dev

.DEFAULT_GOAL := help

.PHONY: help run test lint bench migrate clean

help: ## List the targets
	@echo "Seatplan - make targets:"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  %-9s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "Variables: PY=$(PY) PORT=$(PORT) PYTEST_ARGS='...' (e.g. PYTEST_ARGS='-m \"not slow\"')"

$(PYTHON):
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Seatplan needs Python 3.11+; '$(PY)' is older (set PY=python3.12 ...)"; exit 1; }
	$(PY) -m venv $(VENV) \
		|| { echo "Could not create $(VENV); on Debian/Ubuntu install python3-venv first."; exit 1; }

$(RUNTIME_STAMP): requirements.txt | $(PYTHON)
	$(PYTHON) -m pip install --disable-pip-version-check -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PYTHON)
	$(PYTHON) -m pip install --disable-pip-version-check -r requirements-dev.txt
	@touch $@ $(RUNTIME_STAMP)

# Checking for employees costs one interpreter start, while seed_demo on a full database would walk
# its 40,000 rows to find nothing missing; run seed_demo by hand to top up an interrupted seed.
run: $(RUNTIME_STAMP) ## Migrate, seed the demo (first time), then serve on http://127.0.0.1:8000/
	$(MANAGE) migrate --noinput
	@if $(MANAGE) shell -v 0 -c "import sys; from agencies.models import Employee; sys.exit(0 if Employee.objects.exists() else 3)"; then \
		echo "Demo data already present; '$(PYTHON) manage.py seed_demo' tops up a partial seed."; \
	else \
		rc=$$?; [ $$rc -eq 3 ] || exit $$rc; \
		$(MANAGE) seed_demo; \
	fi
	$(MANAGE) recompute_costs
	$(MANAGE) create_demo_admin --url http://$(HOST):$(PORT)/admin/
	$(MANAGE) runserver $(HOST):$(PORT)

test: $(DEV_STAMP) ## Run the whole suite on SQLite with eager Celery (PYTEST_ARGS='...' to narrow)
	env -u DATABASE_URL -u CELERY_BROKER_URL -u REDIS_URL -u DJANGO_SETTINGS_MODULE \
		$(PYTHON) -m pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP) ## ruff check + ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(RUNTIME_STAMP) ## Run every bench/*.py script (figures go to docs/benchmarks.md)
	@set -e; found=0; for script in bench/*.py; do \
		[ -e "$$script" ] || continue; \
		case "$$(basename $$script)" in _*) continue;; esac; \
		found=1; echo "==> $$script"; \
		DJANGO_SETTINGS_MODULE=config.settings.local PYTHONPATH=$(CURDIR) $(PYTHON) $$script; \
	done; [ $$found -eq 1 ] || echo "No bench/*.py scripts yet."

migrate: $(RUNTIME_STAMP) ## Apply migrations to the configured database
	$(MANAGE) migrate --noinput

clean: ## Remove .venv, the SQLite database and every cache
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis htmlcov .coverage staticfiles
	rm -f seatplan.sqlite3 seatplan.sqlite3-journal seatplan.sqlite3-wal seatplan.sqlite3-shm
	rm -f celerybeat-schedule celerybeat-schedule.*
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
