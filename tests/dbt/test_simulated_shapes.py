"""The SQL rules for real-log shapes (docs/real-logs.md), graded against the simulator's own truth.

The simulator writes resumed views, rewatches and skipped episodes and records each in
sim.event_truth; the views model (int_play_firsts) must find exactly those from the log alone.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.dbt.conftest import dbt
from warehouse import REPO_ROOT


def test_the_views_model_finds_the_simulated_resumes_and_rewatches(
    catalog_warehouse: Path, tmp_path: Path
) -> None:
    db = tmp_path / "simulated.duckdb"
    shutil.copyfile(catalog_warehouse, db)
    subprocess.run(
        [sys.executable, "-m", "simulator", "--warehouse", str(db), "--users", "1500", "--days", "45"]
        + ["--seed", "5", "--no-progress"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    dbt(db, "run", "--select", "+int_play_firsts")
    with duckdb.connect(str(db), read_only=True) as con:
        counts = con.execute(
            """
            select
                count(*) as plays,
                count(*) filter (where t.is_resumed_piece) as resumed,
                count(*) filter (where t.is_rewatch) as rewatches,
                count(*) filter (where t.skipped_episodes > 0) as skips,
                count(*) filter (where f.is_resumed <> t.is_resumed_piece) as resumed_mismatch,
                -- a rewatch is a play of an episode already played (a title's skipped episode,
                -- first played in its rewatch, is a first play)
                count(*) filter (
                    where f.is_rewatch <> (t.is_rewatch and not t.is_resumed_piece and exists (
                        select 1 from raw.viewing_events as e
                        where e.user_id = v.user_id and e.anime_id = v.anime_id
                          and e.episode_number = v.episode_number and e.started_at < v.started_at
                    ))
                ) as rewatch_mismatch
            from raw.viewing_events as v
            inner join sim.event_truth as t using (event_id)
            inner join intermediate.int_play_firsts as f using (event_id)
            """
        ).fetchone()
    assert counts is not None
    plays, resumed, rewatches, skips, resumed_mismatch, rewatch_mismatch = counts
    assert plays > 50_000 and min(resumed, rewatches, skips) > 100, counts
    assert (resumed_mismatch, rewatch_mismatch) == (0, 0), counts
