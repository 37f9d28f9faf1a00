# Two commands on a fresh machine:  make run   and   make test
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip

.PHONY: install install-export install-test run test lint

install:
	$(PIP) install -q -r requirements.txt

# Deck export (PPTX, PDF, packs) draws charts in Debian's Chromium and writes Chinese in Noto CJK.
# Installed when missing and apt can be used (root); otherwise the app runs and the export panel
# says what is missing.
install-export:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -q "Noto Sans CJK"; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's chromium and fonts-noto-cjk (deck export)..."; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; \
		else \
			echo "Note: deck export needs chromium and fonts-noto-cjk (apt-get install chromium fonts-noto-cjk)"; \
		fi; \
	fi

install-test: install
	$(PIP) install -q -r requirements-dev.txt -r requirements-spark.txt
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null \
		|| ! fc-list 2>/dev/null | grep -q "Noto Sans CJK"; then \
		echo "Installing Debian's chromium, chromium-driver and fonts-noto-cjk (browser tests, deck charts and PDFs)..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk; \
	fi
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "Installing Debian's postgresql (the operational store's tests also run on PostgreSQL)..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
	fi
	@if ! command -v redis-server >/dev/null; then \
		echo "Installing Debian's redis-server (the several-machine tests: cache, Celery jobs, two web nodes)..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; \
	fi

run: install install-export
	$(PYTHON) app.py

test: install-test
	$(PYTHON) -m pytest

lint:
	ruff check . && ruff format --check .
