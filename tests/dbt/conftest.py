"""Warehouses for the dbt engagement tests: small hand-made logs, real `dbt` runs, temp files.

One full build of the whole log is shared by the session (`engagement_warehouse`); tests that need a
truncated or growing log build their own copy from the same deterministic generator.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest

from pipeline import commands
from tests.dbt import fixture_data

# The engagement models and their tests; the catalogue marts are stand-in tables the fixture writes.
SELECTION = commands.ENGAGEMENT_SELECTION

# Every table the engagement models write, with the columns that identify a row.
TABLE_KEYS = {
    "intermediate.int_plays_sessionised": ["event_id"],
    "intermediate.int_plays_labelled": ["event_id"],
    "intermediate.int_play_firsts": ["event_id"],
    "intermediate.int_user_history": ["user_id", "happened_at"],
    "intermediate.int_title_history": ["anime_id", "happened_at"],
    "intermediate.int_play_features": ["event_id"],
    "intermediate.int_user_titles_aggregated": ["user_id", "anime_id"],
    "intermediate.int_user_days": ["user_id", "active_on"],
    "marts.viewing_events": ["event_id"],
    "marts.sessions": ["session_id"],
    "marts.retention_by_episode": ["scope", "anime_id", "episode_number"],
    "marts.cohort_retention": ["cohort_grain", "cohort_started_on", "period_number"],
    "marts.cohort_survival": ["cohort_grain", "cohort_started_on", "day_number"],
    "marts.binge_depth": ["scope", "anime_id", "depth_measure", "episode_depth"],
    "marts.user_lifecycle": ["user_id", "week_started_on"],
    "marts.engagement_by_hour": ["hour_of_day", "day_of_week"],
    "marts.title_funnel": ["anime_id", "episode_number"],
    "marts.title_completion": ["anime_id"],
    "marts.daily_active_users": ["active_on"],
    "marts.active_days_distribution": ["period_grain", "active_days"],
    "marts.ml_features": ["event_id"],
}


# dbt's target/ and logs/ of these runs, away from the project's (other builds may run meanwhile)
_DBT_WORK = Path(tempfile.mkdtemp(prefix="dbt-engagement-"))
atexit.register(shutil.rmtree, _DBT_WORK, ignore_errors=True)


def dbt(warehouse: Path, command: str, *extra: str, check: bool = True):
    """`dbt <command>` on the engagement selection of `warehouse` (tests of other stages that
    touch these models are left out: cautious indirect selection)."""
    selection = () if "--select" in extra else SELECTION
    return commands.dbt(
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


@pytest.fixture(scope="session")
def engagement_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole fixture log, built with `dbt build` (models, unit tests and data tests)."""
    db = tmp_path_factory.mktemp("engagement") / "full.duckdb"
    fixture_data.write_warehouse(db)
    dbt(db, "build")
    return db
