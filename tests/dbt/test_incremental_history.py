"""Incremental builds equal a full refresh after a week is appended, on 60 and 180 days of history.

The fixture's other tests grow a 42-day log; here the history is long enough that the rebuilt days
(the label horizon before the newest built day, then the new week) are a small part of it, so the
state carried in from before them (sessions, first plays, user and title totals) is most of what
the grown tables hold.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.dbt import fixture_data
from tests.dbt.conftest import TABLE_KEYS, dbt
from tests.tables import table_differences


@pytest.mark.parametrize("n_days", [60, 180])
def test_a_week_appended_to_a_long_history_builds_as_a_full_refresh(n_days: int, tmp_path: Path) -> None:
    full = tmp_path / "full.duckdb"
    fixture_data.write_warehouse(full, n_days=n_days)
    dbt(full, "run")

    cut = fixture_data.window_end(n_days=n_days) - timedelta(days=7)
    grown = tmp_path / "grown.duckdb"
    fixture_data.write_warehouse(grown, until=cut, n_days=n_days)
    dbt(grown, "run")
    assert fixture_data.append_events(grown, since=cut, n_days=n_days) > 0
    dbt(grown, "run")

    for table in TABLE_KEYS:
        only_grown, only_full, n_rows = table_differences(grown, full, table)
        assert n_rows > 0, table
        assert (only_grown, only_full) == (0, 0), table
