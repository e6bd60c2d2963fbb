"""Engine-neutral copies of the warehouse's source tables: Parquet datasets another engine reads.

`python -m warehouse.lake` writes every table of the schemas the dbt sources live in (raw, and sim
and ml where they exist) to `<lake>/<schema>/<table>/`, the viewing log partitioned by day
(`started_on=YYYY-MM-DD/`), and with `--register-spark` declares them as Spark tables of the same
names, so `dbt build --target spark` reads them as its sources. On a cluster, point those tables at
your own lake paths instead (docs/spark.md).

Each schema's export is written beside the old one and swapped in whole: a failed export leaves the
previous one as it was. `--schemas ml` exports only the ML step's outputs (after `ml/train.py`).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse import DBT_PROJECT, SPARK_HOME_VAR, connect, dbt_command, spark_home, warehouse_path
from warehouse.sql import first_line, one_row, quote_literal

SOURCE_SCHEMAS = ("raw", "sim", "ml")
# tables a Spark build reads by day: Parquet partitions by their day column
DAY_PARTITIONS = {("raw", "viewing_events"): ("started_on", "started_at")}


@dataclass(frozen=True)
class LakeTable:
    schema: str
    name: str
    partition_column: str | None
    rows: int

    def as_json(self) -> dict[str, object]:
        return {"schema": self.schema, "name": self.name, "partition_column": self.partition_column}


def export(warehouse: Path, lake: Path, schemas: tuple[str, ...] = SOURCE_SCHEMAS) -> list[LakeTable]:
    """Write the tables of `schemas` in `warehouse` under `lake/<schema>/`; each schema's folder is
    replaced whole, and only once all of its tables are written."""
    exported: list[LakeTable] = []
    with connect(warehouse, read_only=True) as con:
        for schema in schemas:
            names = [
                name
                for (name,) in con.execute(
                    "select table_name from information_schema.tables "
                    "where table_type = 'BASE TABLE' and table_schema = ? order by 1",
                    [schema],
                ).fetchall()
            ]
            if names:
                exported += _export_schema(con, schema, names, lake / schema)
    return exported


def _export_schema(
    con: duckdb.DuckDBPyConnection, schema: str, names: list[str], folder: Path
) -> list[LakeTable]:
    writing = folder.with_name(folder.name + ".writing")
    shutil.rmtree(writing, ignore_errors=True)
    exported = []
    try:
        for name in names:
            exported.append(_export_table(con, schema, name, writing / name))
    except BaseException:
        shutil.rmtree(writing, ignore_errors=True)
        raise
    previous = folder.with_name(folder.name + ".previous")
    shutil.rmtree(previous, ignore_errors=True)
    if folder.exists():
        folder.rename(previous)
    writing.rename(folder)
    shutil.rmtree(previous, ignore_errors=True)
    return exported


def _export_table(con: duckdb.DuckDBPyConnection, schema: str, name: str, target: Path) -> LakeTable:
    target.mkdir(parents=True)
    partition = DAY_PARTITIONS.get((schema, name))
    if partition:
        column, timestamp = partition
        query = f"select *, cast({timestamp} as date) as {column} from {schema}.{name}"
        copy = f"copy ({query}) to {quote_literal(str(target))} (format parquet, partition_by ({column}))"
    else:
        copy = f"copy {schema}.{name} to {quote_literal(str(target / 'part-0.parquet'))} (format parquet)"
    (rows,) = one_row(con, copy)  # COPY answers with the rows it wrote
    return LakeTable(schema, name, partition[0] if partition else None, rows)


def register_spark(lake: Path, tables: list[LakeTable]) -> None:
    """Declare the exported tables on the Spark target (`dbt run-operation register_lake`), in a dbt
    process of its own: the Spark session holds the target's Derby metastore while it lives."""
    args = {"lake": str(lake), "tables": [t.as_json() for t in tables]}
    operation = ("run-operation", "register_lake", "--args", json.dumps(args), "--quiet")
    command = dbt_command(*operation, target="spark")
    env = {**os.environ, SPARK_HOME_VAR: str(spark_home())}
    result = subprocess.run(command, cwd=DBT_PROJECT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(
            f"dbt run-operation register_lake exited {result.returncode}\n"
            f"--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warehouse.lake", description=__doc__.split("\n")[0])
    parser.add_argument("--warehouse", help="DuckDB file (default: $ANIME_WAREHOUSE)")
    parser.add_argument("--lake", help="output folder (default: $ANIME_SPARK_HOME/lake)")
    parser.add_argument(
        "--schemas", nargs="+", default=list(SOURCE_SCHEMAS), help="schemas to export (default: %(default)s)"
    )
    parser.add_argument(
        "--register-spark", action="store_true", help="declare the tables on dbt's spark target"
    )
    args = parser.parse_args(argv)
    source = warehouse_path(args.warehouse)
    if not source.exists():
        print(f"error: no warehouse at {source}: run `make run` (or ingest and simulate) first")
        return 1
    if args.register_spark and importlib.util.find_spec("dbt.adapters.spark") is None:
        print("error: dbt-spark is not installed: run `make venv-spark` (docs/spark.md)")
        return 1
    lake = Path(args.lake).expanduser().resolve() if args.lake else spark_home() / "lake"
    try:
        tables = export(source, lake, tuple(args.schemas))
    except (duckdb.Error, OSError) as error:
        why = first_line(error)
        print(f"error: exporting {source} to {lake} failed (the previous export is kept): {why}")
        return 1
    if not tables:
        print(f"error: {source} has no tables in {', '.join(args.schemas)}: nothing to export")
        return 1
    for table in tables:
        print(f"  {table.schema}.{table.name}: {table.rows:,} rows")
    print(f"exported {len(tables)} tables to {lake}")
    if args.register_spark:
        try:
            register_spark(lake, tables)
        except RuntimeError as error:
            print(f"error: registering the lake on Spark failed:\n{error}")
            return 1
        print("registered them on the spark target")
    else:
        print("(Spark sees new day folders only once they are registered: add --register-spark)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
