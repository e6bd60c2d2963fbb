"""The same log built on Spark and on DuckDB gives the same tables: after a full build, and after
a week appended and built incrementally, which also equals Spark's own full refresh. The ML step
trained on the Spark build's feature mart scores as on DuckDB's, its outputs build on Spark, and the
dashboard renders every page of the snapshot published from the Spark build."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipeline import commands
from tests.dashboard.browser import render_every_page, streamlit_server
from tests.spark.conftest import (
    BUILD,
    add_subsecond_times,
    differing_tables,
    publish_to_spark,
    spark_tables,
)
from tests.tables import relation_differences

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def full_builds(duck: Path, spark_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both engines' full builds of the 21-day log; returns the Spark tables as DuckDB views."""
    publish_to_spark(duck, spark_home)
    commands.dbt_spark(*BUILD, "--full-refresh", spark_home=spark_home)
    views = tmp_path_factory.mktemp("spark-full") / "views.duckdb"
    spark_tables(spark_home, views)
    return views


def test_full_build_on_spark_equals_duckdb(duck: Path, full_builds: Path) -> None:
    assert differing_tables(duck, full_builds) == {}


@pytest.fixture(scope="module")
def incremental_builds(
    duck: Path, spark_home: Path, full_builds: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A week appended to the log, both engines built incrementally (`dbt build`, no refresh)."""
    commands.simulate(duck, "--append", "--days", "28")
    add_subsecond_times(duck)
    commands.dbt(duck, *BUILD)
    publish_to_spark(duck, spark_home)
    before = _day_files(spark_home)
    commands.dbt_spark(*BUILD, spark_home=spark_home)
    PARTITION_FILES.update(before=before, after=_day_files(spark_home))
    # a copy of the incremental tables, before a full refresh replaces the files they read
    copy = tmp_path_factory.mktemp("spark-incremental") / "copy.duckdb"
    spark_tables(spark_home, copy)
    _materialise(copy)
    return copy


# the files of two day partitions of a play-level table, before and after the incremental build
PLAYS_TABLE = ("intermediate.db", "int_plays_sessionised")
OLD_DAY, REBUILT_DAY = "started_on=2026-01-01", "started_on=2026-01-21"
PARTITION_FILES: dict[str, dict[str, list[tuple[str, int]]]] = {}


def _day_files(spark_home: Path) -> dict[str, list[tuple[str, int]]]:
    table = spark_home / "tables" / PLAYS_TABLE[0] / PLAYS_TABLE[1]
    return {
        day: sorted((f.name, f.stat().st_mtime_ns) for f in (table / day).glob("*.parquet"))
        for day in (OLD_DAY, REBUILT_DAY)
    }


def test_the_incremental_build_on_spark_rewrote_only_the_newest_days(incremental_builds: Path) -> None:
    """Days before the rebuild window (newest built day minus the 14-day horizon) keep their files;
    a day inside it is written again."""
    before, after = PARTITION_FILES["before"], PARTITION_FILES["after"]
    assert before[OLD_DAY] and before[OLD_DAY] == after[OLD_DAY]
    assert before[REBUILT_DAY] and after[REBUILT_DAY] and before[REBUILT_DAY] != after[REBUILT_DAY]


def _materialise(views: Path) -> None:
    with duckdb.connect(str(views)) as con:
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'VIEW'"
        ).fetchall():
            con.execute(f"create table {schema}.{name}__copy as select * from {schema}.{name}")
            con.execute(f"drop view {schema}.{name}")
            con.execute(f"alter table {schema}.{name}__copy rename to {name}")


def test_incremental_build_on_spark_equals_duckdb(duck: Path, incremental_builds: Path) -> None:
    assert differing_tables(duck, incremental_builds) == {}


def test_incremental_build_on_spark_equals_its_full_refresh(
    spark_home: Path, incremental_builds: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    refresh = ("run", "--exclude", "tag:ml_outputs", "--full-refresh", "--quiet")
    commands.dbt_spark(*refresh, spark_home=spark_home)
    refreshed = tmp_path_factory.mktemp("spark-refresh") / "views.duckdb"
    spark_tables(spark_home, refreshed)
    assert differing_tables(incremental_builds, refreshed) == {}


@pytest.fixture(scope="module")
def trained(
    duck: Path, spark_home: Path, incremental_builds: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """`make train` and `make publish` on both engines (ENGINE=spark: train on the views of the
    Spark tables, export ml.* to the lake, build the ML output marts on Spark); returns the views."""
    models = tmp_path_factory.mktemp("models")
    commands.train(duck, models / "duckdb.pkl")
    commands.dbt(duck, "build", "-s", "tag:ml_outputs", "--quiet")
    views = spark_home / "warehouse.duckdb"
    commands.run_stage(commands.python("-m", "warehouse.spark_tables"), None, spark_home=spark_home)
    commands.train(views, models / "spark.pkl")
    export_ml = ("-m", "warehouse.lake", "--warehouse", str(views), "--schemas", "ml", "--register-spark")
    commands.run_stage(commands.python(*export_ml), None, spark_home=spark_home)
    commands.dbt_spark("build", "-s", "tag:ml_outputs", "--quiet", spark_home=spark_home)
    commands.run_stage(commands.python("-m", "warehouse.spark_tables"), None, spark_home=spark_home)
    commands.publish(views)
    return views


def _metrics(warehouse: Path) -> dict[tuple[str, str], float]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select model, metric, value from ml.model_metrics").fetchall()
    return {(model, metric): round(value, 4) for model, metric, value in rows}


def test_model_trained_on_spark_build_scores_as_on_duckdb(duck: Path, trained: Path) -> None:
    on_duckdb, on_spark = _metrics(duck), _metrics(trained)
    assert ("gbm", "roc_auc") in on_duckdb
    assert on_spark == on_duckdb


def test_model_output_marts_on_spark_equal_duckdb(duck: Path, trained: Path) -> None:
    """model_predictions and model_scorecard, but for the run's own id and time."""
    con = duckdb.connect()
    con.execute(f"attach '{duck}' as d (read_only)")
    con.execute(f"attach '{trained}' as s (read_only)")
    for table in ("model_predictions", "model_scorecard"):
        columns = [c for (c, *_) in con.execute(f"describe d.marts.{table}").fetchall()]
        kept = ", ".join(f'"{c}"' for c in columns if c not in ("run_id", "trained_at"))
        only_duckdb, only_spark, rows = relation_differences(
            con, f"select {kept} from d.marts.{table}", f"select {kept} from s.marts.{table}"
        )
        assert (only_duckdb, only_spark) == (0, 0) and rows > 0, table


@pytest.mark.browser
def test_dashboard_renders_every_page_of_the_spark_build(
    trained: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with streamlit_server(trained) as url:
        render_every_page(url, tmp_path_factory.mktemp("screenshots-spark"))


def test_a_build_before_the_lake_is_registered_says_what_to_run(tmp_path: Path) -> None:
    result = commands.dbt_spark("run", "-s", "stg_events__users", spark_home=tmp_path / "spark", check=False)
    assert result.returncode != 0
    fix = "run `python -m warehouse.lake --register-spark` first"
    assert f"raw.users not declared on Spark: {fix}" in result.stdout
    assert "UnresolvedRelation" not in result.stdout  # not Spark's query plan
