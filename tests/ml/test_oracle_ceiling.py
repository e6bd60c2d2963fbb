"""The leak detector on a warehouse built by the real pipeline (ingest -> simulator -> dbt -> train).

The simulator's p_continue is the Bayes-optimal score for the SQL label, so a model whose validation
AUC is above the oracle's by more than sampling noise (3 paired DeLong standard errors) is reading
the future through its features.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ml.persist import load_model
from pipeline import commands

pytestmark = pytest.mark.slow

USERS, DAYS = 1500, 45


@pytest.fixture(scope="module")
def built(catalog_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("built")
    db = root / "small.duckdb"
    shutil.copyfile(catalog_warehouse, db)
    commands.simulate(db, "--users", str(USERS), "--days", str(DAYS), "--seed", "3", "--no-progress")
    # dbt's target/ and logs/ away from the project's: other builds may run meanwhile
    work = ("--target-path", str(root / "target"), "--log-path", str(root / "logs"), "--quiet")
    commands.dbt(db, "run", "-s", "+ml_features", *work)
    model = root / "next_episode_model.pkl"
    with pytest.MonkeyPatch.context() as mp:  # one OpenMP thread: see tests/ml/conftest.py
        mp.setenv("OMP_NUM_THREADS", "1")
        result = commands.train(db, model)
    commands.dbt(db, "build", "-s", "tag:ml_outputs", *work)
    con = duckdb.connect(str(db), read_only=True)
    try:
        cols = [d[0] for d in con.execute("select * from ml.model_runs").description]
        row = con.execute("select * from ml.model_runs").fetchall()
        scorecard = con.execute(
            "select model, roc_auc from marts.model_scorecard where is_latest_run order by model"
        ).fetchall()
        n_predictions = con.execute("select count(*) from marts.model_predictions").fetchall()[0][0]
    finally:
        con.close()
    assert len(row) == 1
    return {
        "run": dict(zip(cols, row[0], strict=True)),
        "stdout": result.stdout,
        "model": model,
        "scorecard": dict(scorecard),
        "n_predictions": n_predictions,
    }


def test_model_auc_does_not_exceed_the_oracle(built: dict[str, Any]) -> None:
    run = built["run"]
    assert run["has_oracle"] and run["oracle_rows"] == run["validation_rows"]
    assert run["validation_rows"] > 5000
    excess = run["roc_auc"] - run["oracle_roc_auc"]
    assert excess <= 3 * run["auc_gap_se"], (
        f"model AUC {run['roc_auc']:.4f} > oracle {run['oracle_roc_auc']:.4f} + 3 x SE "
        f"{run['auc_gap_se']:.4f}: marts.ml_features leaks the future"
    )


def test_model_learns_something_real(built: dict[str, Any]) -> None:
    run = built["run"]
    assert run["roc_auc"] > run["baseline_episode_roc_auc"]
    assert run["auc_gap"] < 0.03
    assert "oracle AUC" in built["stdout"]


def test_ml_outputs_marts_read_the_run(built: dict[str, Any]) -> None:
    run = built["run"]
    assert built["scorecard"]["gbm"] == pytest.approx(run["roc_auc"])
    assert set(built["scorecard"]) == {"gbm", "baseline_episode", "baseline_logreg", "oracle"}
    assert built["n_predictions"] == run["validation_rows"]
    _, meta = load_model(built["model"], expected_sha256=run["model_sha256"])
    assert meta["run_id"] == run["run_id"]
