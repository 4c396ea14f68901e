# Two commands: `make run` serves the portal with its worker and scheduler; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test bench lint vendor system-packages services

$(STAMP): pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

run: $(STAMP)
	$(PY) -m supportdesk.devserver

# Debian packages the tests drive: Chromium for the browser tests, docker-compose to validate the stack.
system-packages:
	@command -v chromium >/dev/null && command -v docker-compose >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium docker-compose >/dev/null; }

services:
	@scripts/ensure-services

# Run again a year and more ahead (tests/conftest.py shifts the clock): the modules that read the clock
# must pass on any date, not only on the day they were written.
DATE_SENSITIVE := tests/integrations tests/escalation tests/kpis tests/readiness tests/notifications tests/rules \
	tests/sandbox

test: $(STAMP) system-packages services
	$(PY) -m pytest
	SUPPORTDESK_TEST_CLOCK_SHIFT_DAYS=400 $(PY) -m pytest -q -m "not browser and not fault" $(DATE_SENSITIVE)

bench: $(STAMP) services
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk >/dev/null; }
	$(PY) -m bench $(BENCH_ARGS)
	$(PY) -m bench.ingest
	$(PY) -m bench.rules
	$(PY) -m bench.notify
	$(PY) -m bench.kpis

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

# Refresh static/vendor/ from the npm registry (the versions in package.json); the result is committed.
vendor:
	npm install --no-save --no-audit --no-fund
	scripts/vendor-static
