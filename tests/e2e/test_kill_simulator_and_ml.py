"""SIGKILL the simulator and the ML step at random moments, 10 times each: the warehouse still
opens, its tables hold the last complete run (never a mix), and a rerun succeeds."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipeline import commands
from tests.e2e.faults import kill_repeatedly, table_fingerprint, timed_run

SIM_TABLES = ("raw.users", "raw.viewing_events", "sim.event_truth", "sim.user_truth")
KILLS = 10  # real kills per stage: kill_repeatedly retries runs that finish first
ML_HISTORY = ("ml.model_metrics", "ml.feature_importance", "ml.metrics_by_bucket", "ml.calibration")


@pytest.fixture(scope="module")
def catalogue_only(catalog_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("kill-sim") / "w.duckdb"
    shutil.copy(catalog_warehouse, db)
    return db


def simulate_command(db: Path, seed: int) -> list[str]:
    size = ["--users", "1500", "--days", "30", "--start", "2026-01-01"]
    return commands.python("-m", "simulator", "--warehouse", str(db), "--seed", str(seed), *size)


@pytest.mark.slow
def test_killed_simulator_leaves_the_last_complete_run(catalogue_only: Path) -> None:
    db = catalogue_only
    commands.run_stage(simulate_command(db, seed=1), db)
    state_old = table_fingerprint(db, SIM_TABLES)
    seconds = timed_run(simulate_command(db, seed=2), db)
    state_new = table_fingerprint(db, SIM_TABLES)
    assert state_new != state_old
    commands.run_stage(simulate_command(db, seed=1), db)

    report = kill_repeatedly(
        simulate_command(db, seed=2),
        db,
        times=KILLS,
        window_seconds=seconds,
        state=lambda: table_fingerprint(db, SIM_TABLES),
        seed=5,
    )
    print(report.summary())
    assert report.kills == KILLS, report.summary()
    assert set(report.states) <= {state_old, state_new}
    commands.run_stage(simulate_command(db, seed=2), db)
    assert table_fingerprint(db, SIM_TABLES) == state_new


def ml_state(db: Path, model: Path) -> tuple:
    """Every run-keyed ml table agrees with ml.model_runs, and predictions hold the latest run."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        runs = {r[0] for r in con.execute("select run_id from ml.model_runs").fetchall()}
        latest = con.execute("select run_id from ml.model_runs order by trained_at desc limit 1").fetchone()[
            0
        ]
        for table in ML_HISTORY:
            assert {r[0] for r in con.execute(f"select distinct run_id from {table}").fetchall()} == runs
        predicted = con.execute("select distinct run_id from ml.predictions").fetchall()
        assert predicted == [(latest,)]
    finally:
        con.close()
    verified = commands.run_stage(
        commands.python("ml/train.py", "--model-out", str(model), "--verify-model"), db, check=False
    )
    # A kill between saving the model and committing its run leaves a newer, self-consistent pair of
    # files; a half-written pickle must never verify.
    assert verified.returncode in (0, 2)
    assert "Traceback" not in verified.stderr
    return len(runs), verified.returncode


@pytest.mark.slow
def test_killed_training_leaves_the_last_complete_run(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    model = tmp_path / "model.pkl"
    commands.build_all(db, users=800, days=30, seed=9, model_out=model)
    train = commands.python("ml/train.py", "--warehouse", str(db), "--model-out", str(model), "--quiet")
    seconds = timed_run(train, db)
    runs_before, verified = ml_state(db, model)
    assert verified == 0

    report = kill_repeatedly(
        train, db, times=KILLS, window_seconds=seconds, state=lambda: ml_state(db, model), seed=3
    )
    print(report.summary())
    assert report.kills == KILLS, report.summary()
    n_runs = [n for n, _ in report.states]
    assert n_runs == sorted(n_runs) and n_runs[0] >= runs_before  # runs only ever complete whole

    commands.run_stage(train, db)
    assert ml_state(db, model) == (n_runs[-1] + 1, 0)
