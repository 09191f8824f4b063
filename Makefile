# Trinity: the two everyday commands are `make run` and `make test`.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never

TOOLS_BIN := $(CURDIR)/.tools/node_modules/.bin
SERVICES_DIR := $(CURDIR)/.run/services
# Extra pytest arguments for `make test`, e.g. make test ARGS="-k booking -x"
ARGS ?=

.PHONY: run test e2e lint services-up services-down clean

run:
	bash scripts/install.sh app
	PATH="$(TOOLS_BIN):$$PATH" REFLEX_TELEMETRY_ENABLED=false REFLEX_CHECK_LATEST_VERSION=false \
	NPM_CONFIG_REGISTRY="$$(npm config get registry)" uv run --frozen trinity run

test:
	bash scripts/install.sh test
	$(MAKE) --no-print-directory lint
	bash scripts/test.sh $(ARGS)

# The browser suite against an already running deployment, seeded through its API only:
#   make e2e URL=http://host:port [ARGS="-k search"]
# Admin login: TRINITY_E2E_ADMIN_EMAIL / TRINITY_E2E_ADMIN_PASSWORD (default: the local demo admin).
e2e:
	@[[ -n "$(URL)" ]] || { echo "usage: make e2e URL=http://host:port [ARGS=...]" >&2; exit 2; }
	bash scripts/install.sh test
	TRINITY_E2E_URL="$(URL)" TRINITY_TEST_NO_SERVICES=1 bash scripts/test.sh tests/e2e $(ARGS)

# ruff (lint + format) on the whole tree, mypy on the service code and the process roles.
lint:
	uv run --frozen ruff check . && uv run --frozen ruff format --check .
	uv run --frozen mypy backend workers

# Long-lived servers for local full mode; `source .run/services/env` to use them.
services-up:
	bash scripts/install.sh test
	bash scripts/services.sh start $(SERVICES_DIR)
	@echo "run: source $(SERVICES_DIR)/env"

services-down:
	bash scripts/services.sh stop $(SERVICES_DIR)

clean: services-down
	rm -rf .run test-results .pytest_cache .ruff_cache .mypy_cache .hypothesis
