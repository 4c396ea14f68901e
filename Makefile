# Two commands: `make run` serves the portal with its worker and scheduler; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Exact versions with hashes (`make lock` writes them from pyproject.toml): the venv, the tests and the image install
# the same. LOCK has the test extra, RUNTIME_LOCK (the Dockerfile's) not.
LOCK := requirements/lock.txt
RUNTIME_LOCK := requirements/lock-runtime.txt
STAMP := $(VENV)/.installed-$(shell cat $(LOCK) pyproject.toml | cksum | cut -d' ' -f1)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test bench lint lock vendor system-packages services

# The locked dependencies, then the project itself on top (editable, no dependencies of its own to resolve; built
# with the locked setuptools, so nothing unpinned is downloaded)
$(STAMP): $(LOCK) pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

run: $(STAMP)
	$(PY) -m tools.devserver

# Debian packages the tests drive: Chromium for the browser tests, docker-compose to validate the stack, pg_dump and
# pg_restore for the backup drill (at least the server's major version: backup refuses an older pg_dump), Dovecot for
# the IMAP poll's tests (each starts its own on a free port; where systemd starts the Debian service too,
# `systemctl disable --now dovecot` stops it).
system-packages:
	@command -v chromium >/dev/null && command -v docker-compose >/dev/null && command -v pg_restore >/dev/null \
	  && command -v dovecot >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium docker-compose \
	    postgresql-client dovecot-imapd >/dev/null; }

services:
	@scripts/ensure-services

# Run again a year and more ahead (tests/conftest.py shifts the clock): the modules that read the clock
# must pass on any date, not only on the day they were written.
DATE_SENSITIVE := tests/awsgateway tests/integrations tests/escalation tests/oncall tests/kpis tests/readiness tests/notifications tests/rules \
	tests/sandbox tests/mail tests/directory

# In parallel (pytest-xdist): one worker per core, each with its own test database, media folder and cache keys;
# loadgroup with tests/conftest.py's XDIST_GROUPS keeps some together in one worker (the browser tests: one Chromium).
# TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto
XDIST := -n $(TEST_WORKERS) --dist loadgroup

test: $(STAMP) system-packages services
	$(PY) -m pytest $(XDIST)
	SUPPORTDESK_TEST_CLOCK_SHIFT_DAYS=400 $(PY) -m pytest $(XDIST) -q -m "not browser and not fault" $(DATE_SENSITIVE)

bench: $(STAMP) services
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk >/dev/null; }
	$(PY) -m tools.bench $(BENCH_ARGS)
	$(PY) -m tools.bench.ingest
	$(PY) -m tools.bench.rules
	$(PY) -m tools.bench.notify
	$(PY) -m tools.bench.paging
	$(PY) -m tools.bench.kpis
	$(PY) -m tools.bench.scaleout --first-accounts 100

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/djlint --check templates
	$(VENV)/bin/djlint --lint templates
	$(VENV)/bin/djlint --check --profile jinja --extension jinja templates
	$(VENV)/bin/djlint --lint --profile jinja --extension jinja templates

# Write both locks again from pyproject.toml with pip-tools (a developer's tool, installed here on demand; installing
# the project never needs it). Pins that still fit stay: `make lock LOCK_ARGS=--upgrade` moves all to the newest.
# The machine's pip configuration (an extra index, local wheels) stays out of the files.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock: $(STAMP)
	$(PY) -m pip install --quiet pip-tools
	$(PIP_COMPILE) --extra test --output-file $(LOCK) pyproject.toml
	$(PIP_COMPILE) --output-file $(RUNTIME_LOCK) pyproject.toml

# Refresh static/vendor/ from the npm registry (the versions in package.json); the result is committed.
vendor:
	npm install --no-save --no-audit --no-fund
	scripts/vendor-static
