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
# A platform's own log instead of the simulator (README, "Bring your own logs"; docs/ingest-events.md):
#   make run LOGS=plays.csv MAPPING=mapping.toml [USERS_FILE=users.csv] [AS_OF=2026-11-01T00:00:00Z]
# (only from the command line, like ENGINE: a LOGS in the shell's environment is not this one)
cli_var = $(if $(filter command line,$(origin $(1))),$($(1)))
LOGS := $(call cli_var,LOGS)
MAPPING := $(call cli_var,MAPPING)
USERS_FILE := $(call cli_var,USERS_FILE)
AS_OF := $(call cli_var,AS_OF)
# the step that writes raw.viewing_events and raw.users: the simulator, or the platform's log
LOG_STEP := $(if $(LOGS),events,simulate)

.PHONY: help venv venv-spark run ingest catalog simulate events build train publish test test-spark lint pytest dashboard bench clean

help:
	@echo "make run        create .venv, install, and build the whole warehouse on the embedded catalogue"
	@echo "                (ENGINE=spark: dbt builds on a local Spark; docs/spark.md)"
	@echo "                (LOGS=plays.csv MAPPING=mapping.toml [USERS_FILE=users.csv]: a platform's own"
	@echo "                log instead of the simulator; README, \"Bring your own logs\")"
	@echo "make test       ruff + sqlfluff + pytest (builds a small warehouse of its own)"
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

ingest: venv
	@echo "==> ingest: catalogue and popularity into raw.*"
	$(BIN)/python -m ingest --source $(INGEST_SOURCE)

catalog: venv
	@echo "==> dbt: catalogue marts (tag:catalog)"
	$(DBT) build -s tag:catalog $(DBT_FLAGS) --quiet

simulate: venv
	@echo "==> simulator: $(USERS) users over $(DAYS) days (seed $(SEED))"
	$(BIN)/python -m simulator --users $(USERS) --days $(DAYS) --seed $(SEED)

# the platform's log replaces raw.viewing_events and raw.users (and drops `sim`); the rows it cannot
# load go to raw.viewing_events_rejects and raw.users_rejects with their reasons
events: venv
	@test -n "$(LOGS)" || { echo "error: make events needs LOGS=path/to/plays (and MAPPING=file.toml)"; exit 1; }
	@echo "==> ingest events: $(LOGS)$(if $(USERS_FILE), and $(USERS_FILE)) into raw.viewing_events, raw.users"
	$(BIN)/python -m ingest events --plays '$(LOGS)' $(if $(MAPPING),--mapping '$(MAPPING)') \
		$(if $(USERS_FILE),--users '$(USERS_FILE)') $(if $(AS_OF),--as-of '$(AS_OF)')

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
DBT_SPARK_FLAGS := $(DBT_FLAGS) --target spark

ifeq ($(ENGINE),spark)
ifneq ($(LOGS),)
$(error LOGS= runs on DuckDB only for now (the Spark flow exports a simulated run's raw and sim schemas))
endif
# Spark's install and Java are checked before the log is simulated
run: venv-spark
# a full refresh, as on DuckDB
build: venv-spark
	@echo "==> lake: the DuckDB source tables as Parquet under $(ANIME_SPARK_HOME)/lake, registered on Spark"
	$(BIN)/python -m warehouse.lake --schemas raw sim --register-spark
	@echo "==> dbt (spark): staging -> intermediate -> marts, with tests"
	$(DBT) build --exclude tag:ml_outputs --full-refresh $(DBT_SPARK_FLAGS) --quiet
	$(BIN)/python -m warehouse.spark_tables

train: venv-spark
	@echo "==> ml: next-episode continuation model, on the Spark build's ml_features"
	$(BIN)/python ml/train.py --warehouse $(SPARK_VIEWS)
	$(BIN)/python -m warehouse.lake --warehouse $(SPARK_VIEWS) --schemas ml --register-spark
	$(DBT) build -s tag:ml_outputs $(DBT_SPARK_FLAGS) --quiet
	$(BIN)/python -m warehouse.spark_tables

publish: venv
	@echo "==> publish: snapshot the Spark build's marts for the dashboard"
	$(BIN)/python -m warehouse.publish --warehouse $(SPARK_VIEWS)

SUMMARY_FLAGS := --warehouse $(SPARK_VIEWS)
dashboard: export ANIME_WAREHOUSE := $(SPARK_VIEWS)
else ifeq ($(ENGINE),duckdb)
# a full refresh: the simulate (or events) step replaces the log (after `python -m simulator --append`
# or `python -m ingest events --append`, run `dbt build` in dbt_project/ for an incremental build)
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
else
$(error ENGINE is duckdb or spark, not '$(ENGINE)')
endif

run: venv ingest catalog $(LOG_STEP) build train publish
	@$(BIN)/python -m warehouse.summary $(SUMMARY_FLAGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
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
