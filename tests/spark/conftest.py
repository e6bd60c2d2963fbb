"""One small log built on both engines: DuckDB (the default target) and Spark (`--target spark`,
a local session, Parquet tables), through the same commands a user runs.

The log is the simulator's, with starts and sign-ups moved by under a millisecond: a platform's log
has sub-second times (the simulator writes whole seconds), and those are what engines round
differently.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipeline import commands
from tests.tables import SAMPLE_EMPTY_MARTS, relation_differences
from warehouse.spark_tables import attach

# the tables both builds write, compared one by one (staging views are left out: they are the
# sources renamed, and the tables that read them are compared)
COMPARED_SCHEMAS = ("intermediate", "marts")
BUILD = ("build", "--exclude", "tag:ml_outputs", "--quiet")


def add_subsecond_times(warehouse: Path) -> None:
    """Move every whole-second start and sign-up by 1-997 microseconds (same days, same order of
    the plays that were not simultaneous)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update raw.viewing_events set started_at = started_at + to_microseconds(event_id % 997 + 1) "
            "where microsecond(started_at) % 1000000 = 0"
        )
        con.execute(
            "update raw.users set signed_up_at = signed_up_at + to_microseconds(user_id % 991 + 1) "
            "where microsecond(signed_up_at) % 1000000 = 0"
        )


def publish_to_spark(warehouse: Path, spark_home: Path) -> None:
    commands.run_stage(
        commands.python("-m", "warehouse.lake", "--schemas", "raw", "sim", "--register-spark"),
        warehouse,
        spark_home=spark_home,
    )


def spark_tables(spark_home: Path, into: Path) -> None:
    """Views over the Spark build's Parquet tables, in a DuckDB file of their own."""
    with duckdb.connect(str(into)) as con:
        attach(con, spark_home)


def differing_tables(left: Path, right: Path) -> dict[str, tuple[int, int, int]]:
    """Every intermediate and mart table of `left` (not views: Spark's are not files), compared with
    `right`'s: {table: (rows only left, rows only right, rows)} for those that differ in rows,
    columns or types, or are empty."""
    con = duckdb.connect()
    con.execute(f"attach '{left}' as l (read_only)")
    con.execute(f"attach '{right}' as r (read_only)")
    tables = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_catalog = 'l' and table_type = 'BASE TABLE' and table_schema in (select unnest(?)) "
        "order by 1",
        [list(COMPARED_SCHEMAS)],
    ).fetchall()
    assert len(tables) >= 20, tables
    differing = {}
    for (table,) in tables:
        left_columns = con.execute(f"describe l.{table}").fetchall()
        right_columns = con.execute(f"describe r.{table}").fetchall()
        if sorted(c[:2] for c in left_columns) != sorted(c[:2] for c in right_columns):
            differing[table] = (-1, -1, -1)
            continue
        names = ", ".join(f'"{c[0]}"' for c in left_columns)
        counts = relation_differences(con, f"select {names} from l.{table}", f"select {names} from r.{table}")
        if counts[0] or counts[1] or (counts[2] == 0) != (table in SAMPLE_EMPTY_MARTS):
            differing[table] = counts
    return differing


@pytest.fixture(scope="module")
def spark_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spark")


@pytest.fixture(scope="module")
def duck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample catalogue and 21 days of 1,000 users, built on DuckDB."""
    db = tmp_path_factory.mktemp("duck") / "warehouse.duckdb"
    commands.build_catalog(db)
    commands.simulate(db, "--users", "1000", "--days", "21", "--seed", "7", "--start", "2026-01-01")
    add_subsecond_times(db)
    commands.dbt(db, *BUILD)
    return db
