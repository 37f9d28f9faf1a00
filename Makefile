# Two commands on a fresh machine:  make run   and   make test
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip

.PHONY: install install-test run test lint

install:
	$(PIP) install -q -r requirements.txt

install-test: install
	$(PIP) install -q -r requirements-dev.txt -r requirements-spark.txt
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null \
		|| ! fc-list 2>/dev/null | grep -q "Noto Sans CJK"; then \
		echo "Installing Debian's chromium, chromium-driver and fonts-noto-cjk (browser tests, deck charts and PDFs)..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk; \
	fi

run: install
	$(PYTHON) app.py

test: install-test
	$(PYTHON) -m pytest

lint:
	ruff check . && ruff format --check .
