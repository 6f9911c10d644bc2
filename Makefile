# Waypost: `make run` starts the product, `make test` runs the suite. Only python3 and make needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run test contract lint migrate demo lock bench chaos clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo

## Web server, Celery worker and beat in the foreground (worker and beat started again if they
## exit, config/supervise.py); one Ctrl-C stops all three.
run: demo
	$(BIN)/honcho start -f Procfile

## The test suite (SQLite and the filesystem broker unless DATABASE_URL / CELERY_BROKER_URL are set).
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## The API contract alone: schemathesis against a live server, every operation of /api/schema/
## with all its checks (tests/api/test_contract.py; `make test` runs it too).
contract: install
	$(BIN)/python -m pytest -m contract -p no:cacheprovider $(PYTEST_ARGS)

## The house rules: ruff (lint and format, rules in pyproject.toml) and the apps' layers (import-linter).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

## Regenerate the lock file from pyproject.toml's pins (run after changing a dependency).
lock:
	rm -rf /tmp/waypost-lock && $(PYTHON) -m venv /tmp/waypost-lock
	/tmp/waypost-lock/bin/pip install -q ".[test]"
	/tmp/waypost-lock/bin/pip freeze --exclude waypost > requirements.lock

clean:
	rm -rf $(VENV) var

## Benchmarks on PostgreSQL + Redis with real workers and fake providers (not part of `make test`):
## make bench [SCENARIOS=throughput,email_only,latency,spike,growth,intake,postoffice,floor] [SIZE=10000] [BENCH_ARGS=...]
bench: install
	WAYPOST_DATA_DIR=$(CURDIR)/var/bench/data $(BIN)/python -m bench $(if $(SCENARIOS),--scenarios $(SCENARIOS)) $(if $(SIZE),--size $(SIZE)) $(BENCH_ARGS)

## Fault run on PostgreSQL + Redis with real workers and fake providers, counted at the providers
## (not part of `make test`): make chaos [CHAOS_ARGS="--scenarios sigkill,brownout_email --events 150"]
chaos: install
	$(BIN)/python -m bench.chaos $(CHAOS_ARGS)
