# ShelfStream entry points. `make demo` and `make test` work on a fresh clone: they install the
# npm packages, build the CLI, and start (natively, or through your URLs) whatever they need.
# Installs are cached outside the repository (~/.npm, ~/.m2, Go's caches, ~/.cache/shelfstream).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
SHELFSTREAM := node bin/shelfstream.js
JEST := node node_modules/jest/bin/jest.js
SOURCES := $(shell find lib cli infra services streams simulators schemas clickhouse bench -name '*.ts' -not -name '*.test.ts' 2>/dev/null)

.PHONY: help setup build browser up down status init demo test test-unit test-integration test-faults bench lint typecheck codegen docs clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

node_modules/.installed: package.json package-lock.json
	@# `npm install` rather than `npm ci`: npm 11 leaves other platforms' optional binaries (swc, chDB)
	@# out of the lock file, and `npm ci` then refuses the lock. The lock still pins every version.
	npm install --no-audit --no-fund --prefer-offline
	@touch $@

dist/.built: node_modules/.installed tsconfig.json tsconfig.build.json $(SOURCES)
	npx tsc -p tsconfig.build.json
	@touch $@

setup: dist/.built ## install npm packages and build the CLI

build: dist/.built ## compile TypeScript to dist/

# Debian's Chromium for the web dashboards' browser tests and bench (playwright-core drives it; it
# downloads no browser of its own). apt keeps the package in its cache; a no-op once installed.
browser: ## install headless Chromium (Debian's chromium) when missing, for the web tests and bench
	@if command -v chromium >/dev/null 2>&1 || [ -n "$${CHROMIUM_PATH:-}" ]; then echo "chromium: $$(command -v chromium || echo $$CHROMIUM_PATH)"; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends chromium; \
	else echo "install Chromium (or Chrome) and set CHROMIUM_PATH: the web tests drive it" >&2; exit 1; fi

up: setup ## install (cached) and start Kafka, the schema registry and MinIO; a no-op when running
	$(SHELFSTREAM) up

down: ## stop what `make up` started
	@if [ -f dist/.built ]; then $(SHELFSTREAM) down; else echo "nothing was built, so nothing was started"; fi

status: setup ## show each service, its health, pid and memory
	$(SHELFSTREAM) status

init: up ## create topics, register schemas, apply ClickHouse migrations (idempotent)
	$(SHELFSTREAM) init

DURATION ?=
demo: up ## the whole pipeline: init, backfill, then live simulation through every processor (DURATION=<s> to stop by itself)
	$(SHELFSTREAM) demo $(if $(DURATION),--duration $(DURATION))

test: setup browser ## every test: unit, then integration against real services it starts and stops
	$(JEST) --selectProjects unit integration

test-unit: setup ## unit tests only (no services)
	$(JEST) --selectProjects unit

test-integration: setup browser ## integration tests against the real services
	$(JEST) --selectProjects integration

# The fault tier: services stopped for a minute and restarted (tests/integration/faults/), and the
# stock and anomaly processors killed at random points ten times each (SHELFSTREAM_KILL_TESTS=1
# raises their kills from the quick suite's few). CI runs it after `make test`. --forceExit: a client
# of a service a test stopped for good (ingest's master-data follower, in the Kafka outage test)
# keeps retrying after the last test, and once kept jest alive for minutes after every test had passed.
FAULT_TESTS := tests/integration/faults/ tests/integration/stock.test.ts tests/integration/anomaly.test.ts
test-faults: setup ## the fault tier: outages and SIGKILLs, minutes each, against real services
	SHELFSTREAM_FAULT_TESTS=1 SHELFSTREAM_KILL_TESTS=1 $(JEST) --selectProjects integration --runInBand --forceExit -- $(FAULT_TESTS)

BENCH ?=
bench: up browser ## run every benchmark, or one with BENCH=<name>; results in bench/results.jsonl
	node dist/bench/run.js $(BENCH)

lint: node_modules/.installed ## eslint
	npx eslint .

typecheck: node_modules/.installed ## tsc on sources, tests and benchmarks
	npx tsc -p tsconfig.json --noEmit

docs: setup ## regenerate the README configuration table and .env.example from lib/config/options.ts
	node dist/lib/config/write-docs.js

codegen: setup ## regenerate schemas/generated/events.ts from the .avsc files
	node dist/schemas/codegen.js

clean: down ## stop services and delete build output and local data (not the install cache)
	rm -rf dist .data
