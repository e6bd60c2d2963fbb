"""Warehouses for the dbt engagement tests: small hand-made logs, real `dbt` runs, temp files.

One full build of the whole log is shared by the session (`engagement_warehouse`); tests that need a
truncated or growing log build their own copy from the same deterministic generator.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest

from tests.dbt import fixture_data
from warehouse import pipeline

# The engagement models and their tests; the catalogue marts are stand-in tables the fixture writes.
SELECTION = pipeline.ENGAGEMENT_SELECTION

# Every table the engagement models write, with the columns that identify a row.
TABLE_KEYS = {
    "intermediate.int_plays_sessionised": ["event_id"],
    "intermediate.int_plays_labelled": ["event_id"],
    "intermediate.int_play_features": ["event_id"],
    "intermediate.int_user_titles_aggregated": ["user_id", "anime_id"],
    "intermediate.int_user_days": ["user_id", "active_on"],
    "marts.viewing_events": ["event_id"],
    "marts.sessions": ["session_id"],
    "marts.retention_by_episode": ["scope", "anime_id", "episode_number"],
    "marts.cohort_retention": ["cohort_grain", "cohort_started_on", "period_number"],
    "marts.binge_depth": ["scope", "anime_id", "depth_measure", "depth"],
    "marts.user_lifecycle": ["user_id", "week_started_on"],
    "marts.engagement_by_hour": ["hour_of_day", "day_of_week"],
    "marts.ml_features": ["event_id"],
}


# dbt's target/ and logs/ of these runs, away from the project's (other builds may run meanwhile)
_DBT_WORK = Path(tempfile.mkdtemp(prefix="dbt-engagement-"))
atexit.register(shutil.rmtree, _DBT_WORK, ignore_errors=True)


def dbt(warehouse: Path, command: str, *extra: str, check: bool = True):
    """`dbt <command>` on the engagement selection of `warehouse` (tests of other stages that
    touch these models are left out: cautious indirect selection)."""
    selection = () if "--select" in extra else SELECTION
    return pipeline.dbt(
        warehouse,
        command,
        *selection,
        "--indirect-selection",
        "cautious",
        "--target-path",
        str(_DBT_WORK / "target"),
        "--log-path",
        str(_DBT_WORK / "logs"),
        *extra,
        check=check,
    )


def table_differences(left: Path, right: Path, table: str) -> tuple[int, int, int]:
    """(rows only in left, rows only in right, rows in left): doubles compared to 9 decimals."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{left}' as l (read_only)")
        con.execute(f"attach '{right}' as r (read_only)")
        schema, name = table.split(".")
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_catalog = 'l' and table_schema = ? and table_name = ? "
            "order by ordinal_position",
            [schema, name],
        ).fetchall()
        select = ", ".join(f"round({c}, 9) as {c}" if t in ("DOUBLE", "FLOAT") else c for c, t in columns)
        only_left = con.execute(
            f"select count(*) from (select {select} from l.{table} except all select {select} from r.{table})"
        ).fetchone()[0]
        only_right = con.execute(
            f"select count(*) from (select {select} from r.{table} except all select {select} from l.{table})"
        ).fetchone()[0]
        n_left = con.execute(f"select count(*) from l.{table}").fetchone()[0]
    finally:
        con.close()
    return only_left, only_right, n_left


@pytest.fixture(scope="session")
def engagement_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole fixture log, built with `dbt build` (models, unit tests and data tests)."""
    db = tmp_path_factory.mktemp("engagement") / "full.duckdb"
    fixture_data.write_warehouse(db)
    dbt(db, "build")
    return db
