# The pipeline contract. `make run` builds everything on the embedded catalogue; `make test` checks it.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export ANIME_WAREHOUSE ?= $(CURDIR)/warehouse/anime.duckdb

# Simulation size for `make run` (override: make run USERS=5000 DAYS=30).
USERS ?= 20000
DAYS ?= 60
SEED ?= 42
# Catalogue file for ingest (override: make run INGEST_SOURCE=/path/to/anime-offline-database.json.zst).
INGEST_SOURCE ?= data/anime-offline-database-sample.json.gz
# A platform's own log instead of the simulator (README, "Bring your own logs"; docs/ingest-events.md):
#   make run LOGS=plays.csv MAPPING=mapping.toml [USERS_FILE=users.csv] [AS_OF=2026-11-01T00:00:00Z]
# (only from the command line, like ENGINE: a LOGS in the shell's environment is not this one)
cli_var = $(if $(filter command line,$(origin $(1))),$($(1)))
LOGS := $(call cli_var,LOGS)
MAPPING := $(call cli_var,MAPPING)
USERS_FILE := $(call cli_var,USERS_FILE)
AS_OF := $(call cli_var,AS_OF)

.PHONY: help venv venv-spark run ingest catalog simulate events build train publish test test-spark lint pytest dashboard bench clean

help:
	@echo "make run        create .venv, install, and build the whole warehouse on the embedded catalogue"
	@echo "                (ENGINE=spark: dbt builds on a local Spark; docs/spark.md)"
	@echo "                (LOGS=plays.csv MAPPING=mapping.toml [USERS_FILE=users.csv]: a platform's own"
	@echo "                log instead of the simulator; README, \"Bring your own logs\")"
	@echo "make test       ruff + mypy + sqlfluff + pytest (builds a small warehouse of its own)"
	@echo "make test-spark the same small log built on Spark and on DuckDB, every table compared (needs Java 17)"
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

$(VENV)/.installed-spark: pyproject.toml $(VENV)/.installed
	@java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])' \
		|| { echo "error: Spark 4 needs Java 17 or newer: apt-get install openjdk-17-jre-headless"; exit 1; }
	@echo "==> installing the spark extra into $(VENV) (log: $(VENV)/install-spark.log)"
	@$(BIN)/pip install --disable-pip-version-check -e '.[dev,spark]' > $(VENV)/install-spark.log 2>&1 \
		|| { tail -n 30 $(VENV)/install-spark.log; echo "error: pip install failed (full log: $(VENV)/install-spark.log)"; exit 1; }
	@touch $@

venv-spark: $(VENV)/.installed-spark

# Which engine dbt builds on: duckdb (default) or spark (docs/spark.md). Either way ingest and the
# simulator write the platform's log into the DuckDB file; on Spark it is exported to a Parquet lake,
# dbt builds there, and the ML step, publish and the dashboard read the Spark tables through a
# DuckDB file of views ($(SPARK_VIEWS)).
# (only from the command line: a variable ENGINE in the shell's environment is not this one)
ENGINE := $(if $(filter command line,$(origin ENGINE)),$(ENGINE),duckdb)
ANIME_SPARK_HOME ?= $(CURDIR)/warehouse/spark
# Python resolves paths from the repo, dbt from dbt_project/: one absolute folder for both
override ANIME_SPARK_HOME := $(abspath $(ANIME_SPARK_HOME))
export ANIME_SPARK_HOME
SPARK_VIEWS := $(ANIME_SPARK_HOME)/warehouse.duckdb

ifeq ($(ENGINE),spark)
ifneq ($(LOGS),)
$(error LOGS= runs on DuckDB only for now (the Spark flow exports a simulated run's raw and sim schemas))
endif
# Spark's install and Java are checked before anything runs
ENGINE_VENV := venv-spark
dashboard: export ANIME_WAREHOUSE := $(SPARK_VIEWS)
else ifeq ($(ENGINE),duckdb)
ENGINE_VENV := venv
else
$(error ENGINE is duckdb or spark, not '$(ENGINE)')
endif

# One orchestrator runs the stages in order, in one process, and prints each one's time:
# `python -m pipeline --dry-run` (with these flags) lists the commands it runs. The single-stage
# targets below run its steps of that stage (`--only`). A full run always full-refreshes dbt: the
# simulate (or events) step replaces the log (after `python -m simulator --append` or
# `python -m ingest events --append`, run `dbt build` in dbt_project/ for an incremental build).
PIPELINE := $(strip $(BIN)/python -m pipeline --engine $(ENGINE) --source '$(INGEST_SOURCE)' \
	--users $(USERS) --days $(DAYS) --seed $(SEED) $(if $(LOGS),--logs '$(LOGS)') \
	$(if $(MAPPING),--mapping '$(MAPPING)') $(if $(USERS_FILE),--users-file '$(USERS_FILE)') \
	$(if $(AS_OF),--as-of '$(AS_OF)'))

# a single recipe: `make -j run` cannot run two stages at once
run: $(ENGINE_VENV)
	$(PIPELINE)

ingest catalog simulate publish: venv
	$(PIPELINE) --only $@

# the platform's log replaces raw.viewing_events and raw.users (and drops `sim`); the rows it cannot
# load go to raw.viewing_events_rejects and raw.users_rejects with their reasons
events: venv
	@test -n "$(LOGS)" || { echo "error: make events needs LOGS=path/to/plays (and MAPPING=file.toml)"; exit 1; }
	$(PIPELINE) --only $@

build train: $(ENGINE_VENV)
	$(PIPELINE) --only $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	cd dbt_project && ../$(BIN)/sqlfluff lint models tests

pytest: venv
	$(BIN)/python -m pytest

test: lint pytest

# in a zone far from UTC: a timestamp that picked up the machine's zone would differ between engines
test-spark: venv-spark
	TZ=Asia/Tokyo $(BIN)/python -m pytest -m spark tests/spark

dashboard: venv
	$(BIN)/streamlit run dashboard/app.py --server.address 127.0.0.1 --server.headless true --browser.gatherUsageStats false

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf warehouse/*.duckdb warehouse/*.duckdb.wal warehouse/*.snapshots warehouse/spark models dbt_project/target dbt_project/logs screenshots bench/results .pytest_cache
