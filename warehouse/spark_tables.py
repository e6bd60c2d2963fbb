"""Spark's tables, read by DuckDB: after `dbt build --target spark`, the models are Parquet folders
under `$ANIME_SPARK_HOME/tables/<schema>.db/<table>/` (day partitions as `<column>=<day>/`), and
its sources the lake's `$ANIME_SPARK_HOME/lake/<schema>/<table>/`.

`attach` declares each as a view of a DuckDB file, with the types DuckDB's own build gives them,
so the ML step, the dashboard snapshot and ad hoc SQL read a Spark build the way they read a DuckDB
one: `python -m warehouse.spark_tables` (default file `$ANIME_SPARK_HOME/warehouse.duckdb`).
The ML step's own outputs (`ml.*`) are tables that file holds, not views.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from warehouse import connect, spark_home
from warehouse.sql import quote_literal

MODEL_SCHEMAS = ("staging", "intermediate", "marts")
LAKE_SCHEMAS = ("raw", "sim")
VIEWS_FILE = "warehouse.duckdb"


def table_folders(spark_home: Path) -> dict[tuple[str, str], Path]:
    """(schema, table) -> folder, for the tables that hold at least one Parquet file."""
    found: dict[tuple[str, str], Path] = {}
    schema_folders = [(s, spark_home / "tables" / f"{s}.db") for s in MODEL_SCHEMAS]
    schema_folders += [(s, spark_home / "lake" / s) for s in LAKE_SCHEMAS]
    for schema, schema_folder in schema_folders:
        for folder in sorted(schema_folder.glob("*")):
            if folder.is_dir() and next(folder.glob(_files_pattern(folder)), None) is not None:
                found[(schema, folder.name)] = folder
    return found


def _files_pattern(folder: Path) -> str:
    """A table's data files: directly in its folder, or one level down in `<column>=<value>/` day
    partitions. Nothing else: a failed Spark job leaves files under `_temporary/`, not data."""
    partitioned = any(child.is_dir() and "=" in child.name for child in folder.iterdir())
    return "*=*/*.parquet" if partitioned else "*.parquet"


def parquet_scan(folder: Path) -> str:
    return f"read_parquet({quote_literal(f'{folder}/{_files_pattern(folder)}')}, hive_partitioning = true)"


def typed_select(con: duckdb.DuckDBPyConnection, folder: Path) -> str:
    """A select over the folder's files; Spark writes timestamps as UTC instants (with time zone),
    DuckDB's build keeps them as UTC wall clock: converted back, whatever the reader's zone."""
    scan = parquet_scan(folder)
    columns = []
    for name, data_type, *_ in con.execute(f"describe select * from {scan}").fetchall():
        quoted = f'"{name}"'
        if data_type == "TIMESTAMP WITH TIME ZONE":
            columns.append(f"timezone('UTC', {quoted}) as {quoted}")
        else:
            columns.append(quoted)
    return f"select {', '.join(columns)} from {scan}"


def attach(con: duckdb.DuckDBPyConnection, spark_home: Path) -> list[tuple[str, str]]:
    """Create (or replace) one view per Spark table in `con`, and drop the views of tables that are
    gone (or hold no rows); returns the (schema, table) pairs."""
    found = table_folders(spark_home)
    views = con.execute(
        "select schema_name, view_name from duckdb_views() "
        "where database_name = current_database() and not internal and schema_name in (select unnest(?))",
        [[*MODEL_SCHEMAS, *LAKE_SCHEMAS]],
    ).fetchall()
    for schema, view in views:
        if (schema, view) not in found:
            con.execute(f'drop view "{schema}"."{view}"')
    attached = []
    for (schema, table), folder in found.items():
        con.execute(f"create schema if not exists {schema}")
        con.execute(f"create or replace view {schema}.{table} as {typed_select(con, folder)}")
        attached.append((schema, table))
    return attached


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m warehouse.spark_tables", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--spark-home", help="the spark target's folder (default: $ANIME_SPARK_HOME)")
    parser.add_argument(
        "--warehouse", help="DuckDB file of the views (default: <spark home>/warehouse.duckdb)"
    )
    args = parser.parse_args(argv)
    home = spark_home(args.spark_home)
    if not (home / "tables").is_dir():
        print(f"error: no Spark tables in {home}: run `dbt build --target spark` first")
        return 1
    target = Path(args.warehouse).expanduser().resolve() if args.warehouse else home / VIEWS_FILE
    try:
        with connect(target) as con:
            attached = attach(con, home)
    except duckdb.IOException as error:
        print(f"error: cannot write {target} (is the dashboard or another process holding it?): {error}")
        return 1
    print(f"attached {len(attached)} Spark tables from {home} as views in {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
