"""Where the DuckDB warehouse lives and how to open it: the base every stage stands on.

Every stage (ingest, simulator, dbt profile, ML, dashboard) resolves the file the same way:
the environment variable ``ANIME_WAREHOUSE`` wins, else ``warehouse/anime.duckdb`` in the repo.
This package holds paths, connections and the SQL helpers of ``warehouse.sql``; it imports no
stage (the orchestrator that runs them is ``pipeline/``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb

from warehouse.sql import first_line, one_row, quote_literal, table_exists

__all__ = [
    "DBT_PROJECT",
    "DEFAULT_WAREHOUSE",
    "ENV_VAR",
    "REPO_ROOT",
    "SPARK_HOME_VAR",
    "connect",
    "dbt_command",
    "first_line",
    "one_row",
    "quote_literal",
    "spark_home",
    "table_exists",
    "warehouse_path",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = REPO_ROOT / "warehouse" / "anime.duckdb"
DBT_PROJECT = REPO_ROOT / "dbt_project"
ENV_VAR = "ANIME_WAREHOUSE"
# dbt's spark target keeps its lake, tables and metastore in one folder (dbt_project/profiles.yml)
SPARK_HOME_VAR = "ANIME_SPARK_HOME"


def warehouse_path(override: str | os.PathLike[str] | None = None) -> Path:
    """The warehouse file: an explicit override, else $ANIME_WAREHOUSE, else the default."""
    if override:
        return Path(override).expanduser().resolve()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    return DEFAULT_WAREHOUSE


def spark_home(override: str | os.PathLike[str] | None = None) -> Path:
    """The Spark target's folder: an explicit override, else $ANIME_SPARK_HOME, else warehouse/spark."""
    chosen = override or os.environ.get(SPARK_HOME_VAR)
    return Path(chosen).expanduser().resolve() if chosen else REPO_ROOT / "warehouse" / "spark"


def dbt_command(*args: str, target: str | None = None) -> list[str]:
    """`dbt <args>` with the project's own profile, to run in DBT_PROJECT (the venv's dbt)."""
    command = [str(Path(sys.executable).parent / "dbt"), *args]
    if target is not None:
        command += ["--target", target]
    return [*command, "--profiles-dir", ".", "--project-dir", "."]


def connect(
    path: str | os.PathLike[str] | None = None, *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; a writer creates the parent folder, a reader needs the file."""
    target = warehouse_path(path)
    if read_only:
        if not target.exists():
            raise FileNotFoundError(f"no warehouse at {target}: run `make run` first")
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(target), read_only=read_only)
