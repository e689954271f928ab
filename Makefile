# Yishi — the two commands: `make run` and `make test`. `make bench` runs the benchmarks.
SHELL := /bin/bash
UV_VERSION := 0.13.8
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
PY := $(CURDIR)/.venv/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv

.PHONY: setup run test test-sqlite bench lint chromium clean

$(CURDIR)/.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python python3.11 --quiet
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## setup: install Python and npm packages (pinned by uv.lock and package-lock.json)
setup: .venv/.synced node_modules/.installed
	mkdir -p var/static

## run: install, migrate, load the demo organ, start web + worker + scheduler on :8000
run: setup
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py load_demo --quiet
	$(PY) manage.py run_all

## chromium: Debian's chromium for the browser tests (installed when missing and running as root)
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ]; then (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "缺少 /usr/bin/chromium：请以 root 运行或 apt-get install chromium"; exit 1; fi; fi

## test: install everything and run the whole suite
test: setup chromium
	$(PY) manage.py collectstatic --noinput -v0
	YISHI_FAST_PASSWORD_HASHER=1 $(PY) -m pytest $(PYTEST_ARGS)

## bench: measure the figures in benchmarks/ and write benchmarks/results.json
bench: setup
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) benchmarks/run.py

lint: setup
	$(PY) -m ruff check .
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf .venv .tools node_modules var
