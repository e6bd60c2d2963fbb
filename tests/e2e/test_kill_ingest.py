"""SIGKILL the catalogue ingest at random moments: the warehouse still opens, raw holds either the
previous complete load or the new complete load (never a mix), and a rerun succeeds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline import commands
from tests.e2e.faults import kill_repeatedly, table_fingerprint, timed_run
from tests.ingest.conftest import document, valid_entries

RAW = ("raw.anime_catalog", "raw.anime_catalog_rejects", "raw.anime_popularity")
VOLATILE = ("loaded_at", "source_file")
KILLS = 10  # real kills: kill_repeatedly retries runs that finish first


@pytest.mark.slow
def test_killed_ingest_leaves_the_last_complete_load(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    small = tmp_path / "small.json"
    small.write_text(json.dumps(document(valid_entries())))
    full_load = commands.python("-m", "ingest", "--warehouse", str(db))

    seconds = timed_run(full_load, db)
    state_full = table_fingerprint(db, RAW, VOLATILE)
    commands.ingest(db, "--source", str(small))
    state_small = table_fingerprint(db, RAW, VOLATILE)
    assert state_small != state_full

    report = kill_repeatedly(
        full_load,
        db,
        times=KILLS,
        window_seconds=seconds,
        state=lambda: table_fingerprint(db, RAW, VOLATILE),
        seed=11,
    )
    print(report.summary())
    assert report.kills == KILLS, report.summary()
    assert set(report.states) <= {state_small, state_full}

    commands.run_stage(full_load, db)
    assert table_fingerprint(db, RAW, VOLATILE) == state_full
