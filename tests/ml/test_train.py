"""End-to-end training on a synthetic warehouse whose labels come from a known P(continue)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
import yaml
from sklearn.metrics import brier_score_loss, roc_auc_score

from ml import evaluate
from ml.features import FEATURES
from ml.headline import format_headline, latest_headline
from ml.persist import load_model, sha256_file
from ml.synthetic import make_synthetic_warehouse
from ml.train import run
from ml.write import TABLES, write_run
from tests.ml.conftest import SYNTH_ROWS, run_train_cli
from tests.tables import query_rows
from warehouse import REPO_ROOT


def assert_not_above_ceiling(headline: dict[str, Any], z: float = 3.0) -> None:
    """The leak detector: a model cannot beat the Bayes ceiling by more than sampling noise."""
    excess = headline["roc_auc"] - headline["oracle_roc_auc"]
    assert excess <= z * headline["auc_gap_se"], (
        f"model AUC {headline['roc_auc']:.4f} exceeds the oracle {headline['oracle_roc_auc']:.4f} "
        f"by {excess:.4f} > {z} x SE {headline['auc_gap_se']:.4f}: features leak the future"
    )


def percentile_disc(values: list[Any], fraction: float) -> Any:
    """SQL's percentile_disc, written out: the smallest value whose cumulative share of the rows
    (ties included) is at least `fraction`."""
    ordered = sorted(values)
    return next(v for i, v in enumerate(ordered) if (i + 1) / len(ordered) >= fraction)


def test_model_reaches_the_oracle_and_beats_baselines(trained: dict[str, Any]) -> None:
    h = trained["headline"]
    # the synthetic plays have distinct start times: validation is the top 20% and the cutoff play
    assert h["has_oracle"] and h["validation_rows"] == SYNTH_ROWS // 5 + 1
    # 16k train rows: looser than the full-size target (AUC within 0.01, Brier within 2%)
    assert h["auc_gap"] < 0.02
    assert h["brier_gap_pct"] < 4.0
    assert h["roc_auc"] > h["baseline_episode_roc_auc"]
    # the synthetic logit is nearly additive, so at this size logistic regression is a close rival
    assert h["roc_auc"] > h["baseline_logreg_roc_auc"] - 0.015
    assert_not_above_ceiling(h)


def test_oracle_figures_are_recomputable(trained: dict[str, Any]) -> None:
    db = trained["warehouse"]
    rows = query_rows(
        db,
        "select p.label, p.score, t.p_continue from ml.predictions as p "
        "inner join sim.event_truth as t on p.event_id = t.event_id",
    )
    y = np.array([r[0] for r in rows], dtype=int)
    score = np.array([r[1] for r in rows])
    truth = np.array([r[2] for r in rows])
    h = trained["headline"]
    assert h["oracle_roc_auc"] == pytest.approx(roc_auc_score(y, truth))
    assert h["oracle_brier"] == pytest.approx(brier_score_loss(y, truth))
    assert h["roc_auc"] == pytest.approx(roc_auc_score(y, score))
    assert h["auc_gap_se"] == pytest.approx(evaluate.auc_difference_se(y, score, truth))


def test_leak_detector_fires_on_leaky_features(tmp_path: Path) -> None:
    db = make_synthetic_warehouse(tmp_path / "leaky.duckdb", SYNTH_ROWS, seed=11, leak=True)
    headline = run(db, tmp_path / "m.pkl", quiet=True)
    with pytest.raises(AssertionError, match="leak the future"):
        assert_not_above_ceiling(headline)


def test_tables_written(trained: dict[str, Any]) -> None:
    db = trained["warehouse"]
    run_id = trained["headline"]["run_id"]
    for table in TABLES:
        (n,) = query_rows(db, f"select count(*) from ml.{table} where run_id = '{run_id}'")[0]
        assert n > 0, table
    models = [r[0] for r in query_rows(db, "select distinct model from ml.model_metrics order by 1")]
    assert models == ["baseline_episode", "baseline_logreg", "gbm", "oracle"]
    n_val = trained["headline"]["validation_rows"]
    assert query_rows(db, "select count(*), count(distinct event_id) from ml.predictions")[0] == (
        n_val,
        n_val,
    )
    for model, n_points in query_rows(db, "select model, count(*) from ml.roc_curve group by model"):
        # the episode baseline has one distinct score per episode number, hence few points
        assert (n_points <= 202) if model == "baseline_episode" else (150 <= n_points <= 202)
    for _, n_rows in query_rows(db, "select model, sum(n_rows) from ml.calibration group by model"):
        assert n_rows == n_val
    features = [r[0] for r in query_rows(db, "select feature from ml.feature_importance")]
    assert sorted(features) == sorted(FEATURES)
    # predictions carry the right label for their event (row alignment end to end)
    (mismatch,) = query_rows(
        db,
        "select count(*) from ml.predictions as p inner join marts.ml_features as f "
        "on p.event_id = f.event_id where p.label != f.continued_next_episode "
        "or p.episode_number != f.episode_number or p.started_at != f.started_at",
    )[0]
    assert mismatch == 0


def test_the_run_splits_by_time_and_stores_its_cutoff(trained: dict[str, Any]) -> None:
    """The run decides the split when it reads the mart (which has no split column): the cutoff is
    the 80th percentile (discrete) of started_at, stored in ml.model_runs and the model's metadata;
    earlier plays trained the model, ml.predictions holds exactly the rest."""
    db, h = trained["warehouse"], trained["headline"]
    assert "split" not in [r[0] for r in query_rows(db, "describe marts.ml_features")]
    starts = [r[0] for r in query_rows(db, "select started_at from marts.ml_features")]
    expected_cutoff = percentile_disc(starts, 0.8)
    [(cutoff, n_train, n_validation, train_end, validation_start)] = query_rows(
        db,
        "select split_cutoff_at, train_rows, validation_rows, train_end_at, validation_start_at "
        "from ml.model_runs",
    )
    assert cutoff == expected_cutoff
    assert n_train == sum(s < cutoff for s in starts)
    assert n_validation == sum(s >= cutoff for s in starts) == len(starts) - n_train == h["validation_rows"]
    assert train_end < cutoff == validation_start
    predicted = {r[0] for r in query_rows(db, "select event_id from ml.predictions")}
    validation = {
        r[0] for r in query_rows(db, f"select event_id from marts.ml_features where started_at >= '{cutoff}'")
    }
    assert predicted == validation and len(predicted) == n_validation
    meta = json.loads(trained["model"].with_suffix(".json").read_text())
    assert meta["split_cutoff_at"] == str(cutoff)


def test_a_grown_mart_never_changes_an_earlier_runs_split(trained: dict[str, Any], tmp_path: Path) -> None:
    """Later plays move the 80th percentile: the next run splits at its own cutoff, while the
    earlier run's stored cutoff and counts stay as that run decided them."""
    db = tmp_path / "grown.duckdb"
    shutil.copyfile(trained["warehouse"], db)
    [first_run] = query_rows(db, "select * from ml.model_runs")
    first_starts = [r[0] for r in query_rows(db, "select started_at from marts.ml_features")]
    con = duckdb.connect(str(db))
    # half as many plays again, a day after the newest: copies of the earliest plays with new ids
    con.execute(
        "insert into marts.ml_features select * replace ("
        "event_id + (select max(event_id) from marts.ml_features) as event_id, "
        "started_at + (select max(started_at) - min(started_at) + interval 1 day "
        "from marts.ml_features) as started_at) "
        f"from marts.ml_features order by started_at limit {SYNTH_ROWS // 2}"
    )
    con.close()
    second = run(db, tmp_path / "m.pkl", quiet=True)
    starts = [r[0] for r in query_rows(db, "select started_at from marts.ml_features")]
    [(second_cutoff, second_train)] = query_rows(
        db, f"select split_cutoff_at, train_rows from ml.model_runs where run_id = '{second['run_id']}'"
    )
    columns = list(TABLES["model_runs"])
    first_cutoff = first_run[columns.index("split_cutoff_at")]
    first_validation = first_run[columns.index("validation_rows")]
    assert second_cutoff == percentile_disc(starts, 0.8) > first_cutoff
    assert second_train == sum(s < second_cutoff for s in starts)
    # every play the first run validated is train data of the second run ...
    assert sum(first_cutoff <= s < second_cutoff for s in first_starts) == first_validation
    # ... and the first run's record of its split is untouched
    assert query_rows(db, f"select * from ml.model_runs where run_id = '{first_run[0]}'") == [first_run]


def test_a_model_runs_table_of_the_older_layout_keeps_its_runs(
    trained: dict[str, Any], tmp_path: Path
) -> None:
    """A warehouse trained before split_cutoff_at existed: the next run adds the column (null for
    the old run) instead of dropping the table and its history."""
    db = tmp_path / "older.duckdb"
    shutil.copyfile(trained["warehouse"], db)
    con = duckdb.connect(str(db))
    con.execute("alter table ml.model_runs drop column split_cutoff_at")
    con.close()
    second = run(db, tmp_path / "m.pkl", quiet=True)
    rows = query_rows(db, "select run_id, split_cutoff_at is null from ml.model_runs order by trained_at")
    assert rows == [(trained["headline"]["run_id"], True), (second["run_id"], False)]
    columns = [r[0] for r in query_rows(db, "describe ml.model_runs")]
    assert columns == list(TABLES["model_runs"])


def test_bucket_table_equals_recomputation_from_predictions(trained: dict[str, Any]) -> None:
    db = trained["warehouse"]
    rows = query_rows(
        db,
        "select f.episode_number, f.continued_next_episode, p.score from ml.predictions as p "
        "inner join marts.ml_features as f on p.event_id = f.event_id",
    )
    ep = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows], dtype=int)
    score = np.array([r[2] for r in rows])
    stored = {
        r[0]: r[1:]
        for r in query_rows(
            db,
            "select episode_bucket, n_rows, roc_auc, brier from ml.metrics_by_bucket where model = 'gbm'",
        )
    }
    for name, mask in (("1-3", ep <= 3), ("4-8", (ep >= 4) & (ep <= 8)), ("9+", ep >= 9)):
        n_rows, auc, brier = stored[name]
        assert n_rows == mask.sum()
        assert auc == pytest.approx(roc_auc_score(y[mask], score[mask]))
        assert brier == pytest.approx(brier_score_loss(y[mask], score[mask]))


def test_model_file_and_metadata(trained: dict[str, Any]) -> None:
    model, meta = load_model(trained["model"])
    meta_file = json.loads(trained["model"].with_suffix(".json").read_text())
    assert meta == meta_file
    assert meta["sha256"] == sha256_file(trained["model"])
    assert meta["features"] == list(FEATURES) == model["features"]
    assert meta["row_counts"]["validation"] == trained["headline"]["validation_rows"]
    assert meta["training_window"]["end"] < meta["validation_window"]["start"]
    assert meta["metrics"]["gbm"]["roc_auc"] == pytest.approx(trained["headline"]["roc_auc"])
    (sha,) = query_rows(trained["warehouse"], "select model_sha256 from ml.model_runs")[0]
    assert sha == meta["sha256"]
    assert latest_headline(trained["warehouse"]) == pytest.approx(trained["headline"])
    assert "oracle AUC" in format_headline(trained["headline"])


def test_same_warehouse_same_metrics(trained: dict[str, Any], tmp_path: Path) -> None:
    db = tmp_path / "again.duckdb"
    shutil.copyfile(trained["warehouse"], db)
    second = run(db, tmp_path / "m.pkl", quiet=True)
    first_id, second_id = trained["headline"]["run_id"], second["run_id"]
    assert first_id != second_id

    def metrics(run_id: str) -> list[tuple[Any, ...]]:
        return query_rows(
            db,
            f"select model, metric, value from ml.model_metrics where run_id = '{run_id}' "
            "order by model, metric",
        )

    assert metrics(first_id) == metrics(second_id)
    # history is kept, predictions hold only the latest run
    assert query_rows(db, "select count(*) from ml.model_runs")[0] == (2,)
    assert query_rows(db, "select distinct run_id from ml.predictions") == [(second_id,)]


def test_without_simulator_truth_it_still_trains(synth_copy: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(synth_copy))
    con.execute("drop schema sim cascade")
    con.close()
    result = run_train_cli("--warehouse", str(synth_copy), "--model-out", str(tmp_path / "m.pkl"))
    assert result.returncode == 0, result.stderr
    assert "no simulator ground truth: oracle skipped" in result.stdout
    assert query_rows(synth_copy, "select has_oracle, oracle_roc_auc from ml.model_runs") == [(False, None)]
    assert query_rows(synth_copy, "select count(*) from ml.model_metrics where model = 'oracle'") == [(0,)]


def test_failed_write_leaves_previous_run_intact(trained: dict[str, Any], tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    shutil.copyfile(trained["warehouse"], db)
    before = {t: query_rows(db, f"select count(*) from ml.{t}")[0][0] for t in TABLES}
    tables: dict[str, Any] = {t: [] for t in TABLES}
    tables["predictions"] = {c: [] for c in TABLES["predictions"]}
    # a value that cannot be cast fails the transaction after ml.predictions was emptied
    tables["threshold_curve"] = [{"run_id": "x", "model": "gbm", "threshold": "not a number"}]
    with pytest.raises(duckdb.Error):
        write_run(db, tables)
    after = {t: query_rows(db, f"select count(*) from ml.{t}")[0][0] for t in TABLES}
    assert after == before


def test_dbt_sources_declare_the_written_columns() -> None:
    spec = yaml.safe_load((REPO_ROOT / "dbt_project/models/staging/ml/_ml__sources.yml").read_text())
    (source,) = spec["sources"]
    declared = {t["name"]: {c["name"]: c["data_type"] for c in t["columns"]} for t in source["tables"]}
    assert declared == TABLES
