# The two commands the README opens with: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Production gets its own environment, installed from the production lock only.
PROD_VENV := .venv-prod
PROD_PY := $(PROD_VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-prod lock run test test-fast lint format migrate serve bench clean

install: $(VENV)/.installed

# Exactly the versions in the lock, every file checked against its hash.
$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@

install-prod: $(PROD_VENV)/.installed

$(PROD_VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(PROD_VENV)
	$(PROD_PY) -m pip install --quiet --require-hashes -r requirements.txt
	touch $@

# Both lock files from pyproject.toml (uv): uv.lock keeps the versions it already has
# unless pyproject.toml asks otherwise; delete it first to take the newest of everything.
lock: install
	$(VENV)/bin/uv lock --quiet --python $(PY)
	$(VENV)/bin/uv export --quiet --frozen --no-emit-project --format requirements-txt \
		-o requirements.txt
	$(VENV)/bin/uv export --quiet --frozen --no-emit-project --extra dev \
		--format requirements-txt -o requirements-dev.txt
	$(VENV)/bin/uv export --quiet --frozen --no-emit-project --extra bench \
		--format requirements-txt -o requirements-bench.txt

run: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) -m pytest

# The inner loop: no browser tests, spread over the cores (pytest-xdist). `make test`
# stays the full run that CI and the README use.
test-fast: install
	$(PY) -m pytest -q -n auto -m "not browser" --ignore=tests/e2e

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Production (see README): migrations are a release step, run once per release (safe on
# several machines at once: an advisory lock on PostgreSQL); `serve` never migrates.
migrate: install-prod
	DJANGO_DEBUG=0 $(PROD_PY) manage.py migrate --no-input

serve: install-prod
	DJANGO_DEBUG=0 $(PROD_PY) manage.py collectstatic --no-input --verbosity 0
	DJANGO_DEBUG=0 $(PROD_VENV)/bin/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT)

# The benchmark's own tools: its peers (DRF, djangorestframework-api-key; bench extra,
# never in production) into the dev venv, and Debian's wrk, which replays the load.
bench: install $(VENV)/.bench-installed
	@command -v wrk >/dev/null || { echo "Installing Debian's wrk"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk \
		>/dev/null; }
	$(PY) -m bench

$(VENV)/.bench-installed: requirements-bench.txt $(VENV)/.installed
	$(PY) -m pip install --quiet --require-hashes -r requirements-bench.txt
	touch $@

clean:
	rm -rf $(VENV) $(PROD_VENV) staticfiles screenshots .pytest_cache .ruff_cache
