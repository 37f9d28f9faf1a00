# Two commands on a fresh machine:  make run   and   make test
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip

.PHONY: install install-test run test lint

install:
	$(PIP) install -q -r requirements.txt

install-test: install
	$(PIP) install -q -r requirements-dev.txt -r requirements-spark.txt
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		echo "Installing Debian's chromium and chromium-driver for the browser tests..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	fi

run: install
	$(PYTHON) app.py

test: install-test
	$(PYTHON) -m pytest

lint:
	ruff check . && ruff format --check .
