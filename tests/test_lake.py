"""The Parquet lake (warehouse.lake) and the views over a Spark build (warehouse.spark_tables), on
DuckDB alone: what Spark is handed and what is read back from it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipeline import commands
from tests.dbt import fixture_data
from tests.tables import relation_differences
from warehouse import lake, spark_tables

PLAY_COLUMNS = (
    "event_id, user_id, anime_id, episode_number, started_at, watched_seconds, "
    "episode_duration_seconds, device"
)


def _scan(folder: Path) -> str:
    return f"select * from read_parquet('{folder}/**/*.parquet', hive_partitioning = true)"


def test_export_writes_every_source_table_and_plays_by_day(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    n_plays = fixture_data.write_warehouse(db)
    exported = lake.export(db, tmp_path / "lake")

    names = {(t.schema, t.name): t for t in exported}
    assert set(names) == {("raw", "users"), ("raw", "viewing_events")}  # the fixture's source tables
    assert names[("raw", "viewing_events")].rows == n_plays
    plays = tmp_path / "lake" / "raw" / "viewing_events"
    con = duckdb.connect()
    con.execute(f"attach '{db}' as wh (read_only)")
    days_sql = "select count(distinct cast(started_at as date)) from wh.raw.viewing_events"
    (days,) = con.execute(days_sql).fetchone()
    assert len(list(plays.glob("started_on=*"))) == days
    only_lake, only_warehouse, rows = relation_differences(
        con,
        f"select {PLAY_COLUMNS} from ({_scan(plays)})",
        f"select {PLAY_COLUMNS} from wh.raw.viewing_events",
    )
    assert (only_lake, only_warehouse, rows) == (0, 0, n_plays)
    # each play sits in the folder of its own day
    (misplaced,) = con.execute(
        f"select count(*) from ({_scan(plays)}) where started_on <> cast(started_at as date)"
    ).fetchone()
    assert misplaced == 0


def test_a_new_export_replaces_the_old_one_whole(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    fixture_data.write_warehouse(db)
    lake.export(db, tmp_path / "lake")
    first_day = fixture_data.WINDOW_START
    with duckdb.connect(str(db)) as con:  # the log loses its first day
        con.execute("delete from raw.viewing_events where cast(started_at as date) = ?", [first_day.date()])
    lake.export(db, tmp_path / "lake")
    plays = tmp_path / "lake" / "raw" / "viewing_events"
    assert not (plays / f"started_on={first_day.date().isoformat()}").exists()
    assert sorted(p.name for p in (tmp_path / "lake").iterdir()) == ["raw"]  # no work folders left


def test_export_of_a_missing_warehouse_is_one_error_line(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.duckdb"
    command = ("-m", "warehouse.lake", "--warehouse", str(missing), "--lake", str(tmp_path / "lake"))
    result = commands.run_stage(commands.python(*command), missing, check=False)
    assert result.returncode == 1
    assert result.stdout.strip().splitlines() == [
        f"error: no warehouse at {missing}: run `make run` (or ingest and simulate) first"
    ]
    assert not missing.exists() and not (tmp_path / "lake").exists()


def test_views_over_spark_tables_read_timestamps_back_as_utc_wall_clock(tmp_path: Path) -> None:
    """Spark writes timestamps as instants (DuckDB reads them WITH TIME ZONE) and day partitions as
    folders; the views give DuckDB's own types back, whatever the reader's time zone."""
    home = tmp_path / "spark"
    table = home / "tables" / "marts.db" / "visits"
    table.parent.mkdir(parents=True)
    started = datetime(2026, 3, 1, 23, 30, 0, 123456)
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'America/New_York'")
        con.execute(
            "create table visits as select 7 as visit_id, "
            "timezone('UTC', cast(? as timestamp)) as started_at, cast(? as date) as started_on",
            [started, started.date()],
        )
        con.execute(f"copy visits to '{table}' (format parquet, partition_by (started_on))")
    views = tmp_path / "views.duckdb"
    with duckdb.connect(str(views)) as con:
        con.execute("set TimeZone = 'Asia/Tokyo'")
        assert spark_tables.attach(con, home) == [("marts", "visits")]
        types = dict(con.execute("select column_name, column_type from (describe marts.visits)").fetchall())
        assert types == {"visit_id": "INTEGER", "started_at": "TIMESTAMP", "started_on": "DATE"}
        assert con.execute("select started_at, started_on from marts.visits").fetchall() == [
            (started, started.date())
        ]


def test_a_failed_export_keeps_the_previous_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "warehouse.duckdb"
    fixture_data.write_warehouse(db)
    lake.export(db, tmp_path / "lake")
    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "lake").rglob("*"))
    # the viewing log's day column now names a column that does not exist: its COPY fails
    monkeypatch.setitem(lake.DAY_PARTITIONS, ("raw", "viewing_events"), ("started_on", "no_such_column"))
    with duckdb.connect(str(db)) as con:
        con.execute("delete from raw.viewing_events where event_id % 2 = 0")
    with pytest.raises(duckdb.Error):
        lake.export(db, tmp_path / "lake")
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "lake").rglob("*")) == before


def test_views_leave_out_a_failed_jobs_files_and_tables_that_are_gone(tmp_path: Path) -> None:
    home = tmp_path / "spark"
    kept, gone = home / "tables" / "marts.db" / "kept", home / "tables" / "marts.db" / "gone"
    for folder in (kept / "_temporary" / "0", gone):
        folder.mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(f"copy (select 1 as n) to '{kept / 'part-0.parquet'}' (format parquet)")
        leftover = kept / "_temporary" / "0" / "part-1.parquet"
        con.execute(f"copy (select 2 as n) to '{leftover}' (format parquet)")
        con.execute(f"copy (select 3 as n) to '{gone / 'part-0.parquet'}' (format parquet)")
    views = tmp_path / "views.duckdb"
    with duckdb.connect(str(views)) as con:
        assert spark_tables.attach(con, home) == [("marts", "gone"), ("marts", "kept")]
        assert con.execute("select n from marts.kept").fetchall() == [(1,)]
        (gone / "part-0.parquet").unlink()
        assert spark_tables.attach(con, home) == [("marts", "kept")]
        (n_views,) = con.execute("select count(*) from duckdb_views() where schema_name = 'marts'").fetchone()
        assert n_views == 1
