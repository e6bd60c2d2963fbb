# The pipeline contract. `make run` builds everything on the embedded catalogue; `make test` checks it.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export ANIME_WAREHOUSE ?= $(CURDIR)/warehouse/anime.duckdb
DBT := cd dbt_project && ../$(BIN)/dbt
DBT_FLAGS := --profiles-dir . --project-dir .

# Simulation size for `make run` (override: make run USERS=5000 DAYS=30).
USERS ?= 20000
DAYS ?= 60
SEED ?= 42
# Catalogue file for ingest (override: make run INGEST_SOURCE=/path/to/anime-offline-database.json.zst).
INGEST_SOURCE ?= data/anime-offline-database-sample.json.gz

.PHONY: help venv run ingest catalog simulate build train publish test lint pytest dashboard bench clean

help:
	@echo "make run        create .venv, install, and build the whole warehouse on the embedded catalogue"
	@echo "make test       ruff + sqlfluff + pytest (builds a small warehouse of its own)"
	@echo "make dashboard  open the Streamlit dashboard on http://127.0.0.1:8501"
	@echo "make bench      print performance figures (ingest, simulator, dbt, training, dashboard)"
	@echo "make clean      remove the warehouse, models and build artefacts (keeps .venv)"

$(BIN)/activate:
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 (or pass PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml $(BIN)/activate
	@echo "==> installing Python packages into $(VENV) (log: $(VENV)/install.log)"
	@$(BIN)/pip install --disable-pip-version-check -e '.[dev]' > $(VENV)/install.log 2>&1 \
		|| { tail -n 30 $(VENV)/install.log; echo "error: pip install failed (full log: $(VENV)/install.log)"; exit 1; }
	@touch $@

venv: $(VENV)/.installed

ingest: venv
	@echo "==> ingest: catalogue and popularity into raw.*"
	$(BIN)/python -m ingest --source $(INGEST_SOURCE)

catalog: venv
	@echo "==> dbt: catalogue marts (tag:catalog)"
	$(DBT) build -s tag:catalog $(DBT_FLAGS) --quiet

simulate: venv
	@echo "==> simulator: $(USERS) users over $(DAYS) days (seed $(SEED))"
	$(BIN)/python -m simulator --users $(USERS) --days $(DAYS) --seed $(SEED)

# a full refresh: the simulate step replaces the log (after `python -m simulator --append`, run
# `dbt build` in dbt_project/ for an incremental build)
build: venv
	@echo "==> dbt: staging -> intermediate -> marts, with tests"
	$(DBT) build --exclude tag:ml_outputs --full-refresh $(DBT_FLAGS) --quiet

train: venv
	@echo "==> ml: next-episode continuation model"
	$(BIN)/python ml/train.py
	$(DBT) build -s tag:ml_outputs $(DBT_FLAGS) --quiet

publish: venv
	@echo "==> publish: snapshot marts for the dashboard"
	$(BIN)/python -m warehouse.publish

run: venv ingest catalog simulate build train publish
	@$(BIN)/python -m warehouse.summary

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd dbt_project && ../$(BIN)/sqlfluff lint models tests

pytest: venv
	$(BIN)/python -m pytest

test: lint pytest

dashboard: venv
	$(BIN)/streamlit run dashboard/app.py --server.address 127.0.0.1 --server.headless true --browser.gatherUsageStats false

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf warehouse/*.duckdb warehouse/*.duckdb.wal warehouse/*.snapshots models dbt_project/target dbt_project/logs screenshots bench/results .pytest_cache
