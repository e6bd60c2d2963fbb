"""SIGKILL `ingest events` at random moments: the warehouse still opens and its raw tables hold
either the previous complete load or the new one, never a mix; a rerun then succeeds."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipeline import commands
from tests.e2e.faults import kill_repeatedly, table_fingerprint, timed_run
from tests.ingest.test_events_support import HEADER, events, fresh, ok, write_csv

RAW = tuple(
    f"raw.{t}" for t in ("viewing_events", "users", "viewing_events_rejects", "users_rejects", "event_loads")
)
VOLATILE = ("loaded_at",)
KILLS = 5
ROWS = 400_000


def _big_log(path: Path) -> Path:
    """ROWS plays of a few catalogue titles, 1 in 1000 of an unknown title."""
    con = duckdb.connect()
    con.execute(
        f"""
        copy (
            select
                (range % 5000)::bigint + 1 as user_id,
                case when range % 1000 = 7 then 'unknown' else (['mal-1', 'mal-9253', 'mal-25835'])[
                    1 + (range % 3)::integer] end as anime_id,
                (1 + range % 24)::integer as episode_number,
                timestamp '2026-09-01' + to_seconds(range * 7) as started_at,
                (60 + range % 1300)::integer as watched_seconds,
                'tv' as device
            from range({ROWS})
        ) to '{path}' (format parquet)
        """
    )
    con.close()
    return path


@pytest.mark.slow
def test_killed_events_load_leaves_the_last_complete_load(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    big = _big_log(tmp_path / "big.parquet")
    small = write_csv(tmp_path / "small.csv", HEADER, [("1", "mal-1", 1, "2026-09-01 10:00:00", 600, "tv")])
    load_big = commands.python(
        "-m", "ingest", "events", "--warehouse", str(db), "--plays", str(big), "--as-of", "2027-01-01"
    )
    seconds = timed_run(load_big, db)
    state_big = table_fingerprint(db, RAW, VOLATILE)
    ok(events(db, small))
    state_small = table_fingerprint(db, RAW, VOLATILE)
    assert state_small != state_big

    report = kill_repeatedly(
        load_big,
        db,
        times=KILLS,
        window_seconds=seconds,
        state=lambda: table_fingerprint(db, RAW, VOLATILE),
        seed=5,
    )
    print(report.summary())
    assert report.kills == KILLS, report.summary()
    assert set(report.states) <= {state_small, state_big}

    commands.run_stage(load_big, db)
    assert table_fingerprint(db, RAW, VOLATILE) == state_big
