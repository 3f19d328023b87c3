# Task runner. `make help` lists the targets. Everything installs into .venv/ at the repo root.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-13s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install the project with pinned dependencies

browser-deps: ## install Debian's chromium + chromium-driver for the browser tests (needs root or sudo)
	@if [ -x /usr/bin/chromium ]; then echo "chromium present: $$(/usr/bin/chromium --version)"; \
	else SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver; fi

demo: setup ## generate the demo data, load it, build the warehouse, serve the dashboards on 127.0.0.1
	$(BIN)/rcm demo

lint: setup ## ruff format --check and ruff check
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: setup ## ruff format and fix what ruff check can fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: setup browser-deps lint ## install everything and run the whole test suite (browser tests included)
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure here"; exit 1; fi; exit $$rc

bench: setup ## measure speed, memory and scaling of every stage (prints figures, writes bench-results/)
	$(BIN)/rcm bench

docs: setup ## generate the dbt docs site (open with: make docs-serve)
	RCM_WAREHOUSE_PATH=$${RCM_WAREHOUSE_PATH:-var/warehouse.duckdb} $(BIN)/dbt docs generate --project-dir dbt_project --profiles-dir dbt_project

docs-serve: ## serve the generated dbt docs on 127.0.0.1:8081
	$(BIN)/dbt docs serve --project-dir dbt_project --profiles-dir dbt_project --host 127.0.0.1 --port 8081

dagster: setup ## open the Dagster UI on this warehouse
	$(BIN)/rcm dagster

clean: ## remove the warehouse home (var/) and test artifacts; keeps .venv
	rm -rf var tests/artifacts bench-results dbt_project/target dbt_project/logs

.PHONY: help setup browser-deps demo lint format test bench docs docs-serve dagster clean
