"""Train the next-episode continuation model on marts.ml_features and grade it.

    python ml/train.py [--warehouse PATH] [--model-out PATH]      (or: python -m ml ...)
    python ml/train.py --verify-model [--model-out PATH]

Reads the feature mart read-only and splits it by time (the cutoff, stored with the run, is the 80th
percentile of started_at), trains HistGradientBoosting plus two baselines, evaluates on the
validation plays, compares with the simulator's Bayes ceiling when `sim` exists, saves
models/next_episode_model.pkl (+ .json) and writes the ml.* tables in one transaction.
Input problems exit with status 2 and one line on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from ml import evaluate, oracle
from ml.data import MLInputError, SplitData, load_splits, open_read_only
from ml.features import DECISION_THRESHOLD, FEATURES, episode_bucket
from ml.headline import HEADLINE_KEYS, format_headline, latest_headline
from ml.models import RANDOM_STATE, EpisodeRateBaseline, fit_gbm, fit_logreg
from ml.persist import ModelLoadError, load_model, save_model
from ml.write import write_run
from warehouse import REPO_ROOT, warehouse_path

DEFAULT_MODEL_PATH = REPO_ROOT / "models" / "next_episode_model.pkl"
MODELS = ("gbm", "baseline_episode", "baseline_logreg")

__all__ = ["DEFAULT_MODEL_PATH", "headline", "latest_headline", "main", "run"]


def _log(msg: str, quiet: bool) -> None:
    if not quiet:
        print(f"ml: {msg}", flush=True)


def _fit_models(train: SplitData, quiet: bool) -> dict[str, Any]:
    t0 = time.perf_counter()
    gbm = fit_gbm(train.X, train.y)
    _log(f"gradient boosting: {gbm.n_iter_} iterations in {time.perf_counter() - t0:.1f}s", quiet)
    t0 = time.perf_counter()
    episode = EpisodeRateBaseline().fit(train.episode_number, train.y)
    logreg = fit_logreg(train.X, train.y)
    _log(f"baselines in {time.perf_counter() - t0:.1f}s", quiet)
    return {"gbm": gbm, "baseline_episode": episode, "baseline_logreg": logreg}


def _score(models: dict[str, Any], val: SplitData) -> dict[str, np.ndarray]:
    return {
        "gbm": models["gbm"].predict_proba(val.X)[:, 1],
        "baseline_episode": models["baseline_episode"].predict_proba(val.episode_number),
        "baseline_logreg": models["baseline_logreg"].predict_proba(val.X)[:, 1],
    }


def _nan_to_none(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def evaluate_run(val: SplitData, scores: dict[str, np.ndarray], truth: np.ndarray | None) -> dict[str, Any]:
    """Every validation metric, keyed by model; the oracle is graded on the plays it covers."""
    y, ep, thr = val.y, val.episode_number, DECISION_THRESHOLD
    result: dict[str, Any] = {"metrics": {}, "buckets": {}, "calibration": {}, "roc": {}}
    result["thresholds"] = {}
    sets: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {m: (y, scores[m], ep) for m in MODELS}
    covered = None
    if truth is not None:
        covered = ~np.isnan(truth)
        if covered.any():
            sets["oracle"] = (y[covered], truth[covered], ep[covered])
        else:
            covered = None
    for model, (yy, ss, ee) in sets.items():
        result["metrics"][model] = evaluate.binary_metrics(yy, ss, thr)
        result["buckets"][model] = evaluate.metrics_by_bucket(yy, ss, ee, thr)
        result["calibration"][model] = evaluate.calibration_table(yy, ss)
        result["roc"][model] = evaluate.roc_points(yy, ss)
        result["thresholds"][model] = evaluate.threshold_curve(yy, ss)
    gap: dict[str, Any] = {"has_oracle": covered is not None, "oracle_rows": 0}
    if truth is not None and covered is not None:
        yy, model_score, oracle_score = y[covered], scores["gbm"][covered], truth[covered]
        model_on_covered = evaluate.binary_metrics(yy, model_score, thr)
        o = result["metrics"]["oracle"]
        gap.update(
            oracle_rows=int(covered.sum()),
            auc_gap=o["roc_auc"] - model_on_covered["roc_auc"],
            auc_gap_se=evaluate.auc_difference_se(yy, model_score, oracle_score),
            brier_gap_pct=100.0 * (model_on_covered["brier"] - o["brier"]) / o["brier"],
        )
    result["gap"] = gap
    return result


def _tables(
    run: dict[str, Any], val: SplitData, scores: dict[str, np.ndarray], ev: dict[str, Any]
) -> dict[str, Any]:
    run_id = run["run_id"]
    metrics_rows = [
        {"run_id": run_id, "model": model, "metric": name, "value": _nan_to_none(value)}
        for model, metrics in ev["metrics"].items()
        for name, value in metrics.items()
    ]
    for name in ("auc_gap", "auc_gap_se", "brier_gap_pct"):
        if name in ev["gap"]:
            metrics_rows.append({"run_id": run_id, "model": "gbm", "metric": name, "value": ev["gap"][name]})

    def per_model(key: str) -> list[dict[str, Any]]:
        return [{"run_id": run_id, "model": model, **row} for model, rows in ev[key].items() for row in rows]

    gbm_scores = scores["gbm"]
    predictions = {
        "run_id": np.full(val.n, run_id, dtype=object),
        "event_id": val.event_id,
        "user_id": val.user_id,
        "anime_id": val.anime_id,
        "started_at": val.started_at,
        "episode_number": val.episode_number.astype(np.int32),
        "episode_bucket": episode_bucket(val.episode_number),
        "score": gbm_scores,
        "label": val.y.astype(bool),
        "is_predicted_positive": gbm_scores >= DECISION_THRESHOLD,
        "baseline_episode_score": scores["baseline_episode"],
        "baseline_logreg_score": scores["baseline_logreg"],
    }
    importance = [{"run_id": run_id, "model": "gbm", **row} for row in run["importance"]]
    calibration = [
        {**{k: v for k, v in r.items() if k != "bin"}, "bin_index": r["bin"]}
        for r in per_model("calibration")
    ]
    roc = [
        {**{k: v for k, v in r.items() if k != "point"}, "point_index": r["point"]} for r in per_model("roc")
    ]
    model_runs_row = {k: v for k, v in run.items() if k != "importance"}
    return {
        "model_runs": [model_runs_row],
        "model_metrics": metrics_rows,
        "predictions": predictions,
        "feature_importance": importance,
        "metrics_by_bucket": [{k: _nan_to_none(v) for k, v in r.items()} for r in per_model("buckets")],
        "calibration": calibration,
        "roc_curve": roc,
        "threshold_curve": per_model("thresholds"),
    }


def headline(warehouse: str | Path | None = None) -> dict[str, Any] | None:
    """The latest run's headline (model vs baselines vs oracle) from ml.model_runs."""
    return latest_headline(warehouse)


def run(
    warehouse: str | Path | None = None,
    model_out: str | Path | None = None,
    *,
    quiet: bool = False,
) -> dict[str, Any]:
    """Train, evaluate, save and record one run; returns its headline dict."""
    started = time.perf_counter()
    path = warehouse_path(warehouse)
    model_path = Path(model_out).expanduser().resolve() if model_out else DEFAULT_MODEL_PATH

    con = open_read_only(path)
    try:
        splits = load_splits(con)
        train, val, cutoff = splits.train, splits.validation, splits.split_cutoff_at
        truth = oracle.load_truth(con, val.event_id)
    finally:
        con.close()
    _log(
        f"{train.n:,} train plays before {cutoff} and {val.n:,} validation plays from it, from {path}",
        quiet,
    )
    if truth is None:  # a platform's own log (`python -m ingest events`): nothing to grade against
        _log(f"{oracle.NO_TRUTH_MESSAGE} (the warehouse has no sim.event_truth)", quiet)

    models = _fit_models(train, quiet)
    scores = _score(models, val)
    ev = evaluate_run(val, scores, truth)
    if truth is not None and not ev["gap"]["has_oracle"]:
        print("sim.event_truth holds none of the validation plays: oracle skipped", flush=True)
    t0 = time.perf_counter()
    importance = evaluate.permutation_importance_table(models["gbm"], val.X, val.y, seed=RANDOM_STATE)
    _log(f"permutation importance in {time.perf_counter() - t0:.1f}s", quiet)

    trained_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    run_id = f"{trained_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    m = ev["metrics"]
    gap = ev["gap"]
    (train_start, train_end), (val_start, val_end) = train.window(), val.window()
    metadata = {
        "run_id": run_id,
        "trained_at": trained_at.isoformat(),
        "model": "HistGradientBoostingClassifier",
        "params": models["gbm"].get_params(),
        "n_iter": int(models["gbm"].n_iter_),
        "features": list(FEATURES),
        "label": "continued_next_episode",
        "decision_threshold": DECISION_THRESHOLD,
        "warehouse": str(path),
        "split_cutoff_at": cutoff.isoformat(sep=" "),
        "training_window": {"start": train_start, "end": train_end},
        "validation_window": {"start": val_start, "end": val_end},
        "row_counts": {"train": train.n, "validation": val.n, "oracle": gap["oracle_rows"]},
        "metrics": {model: {k: _nan_to_none(v) for k, v in vals.items()} for model, vals in m.items()},
        "oracle_gap": {k: _nan_to_none(v) for k, v in gap.items()},
    }
    saved = save_model({"model": models["gbm"], "features": list(FEATURES)}, model_path, metadata)
    load_model(model_path, expected_sha256=saved["sha256"])  # round trip through the loader
    _log(f"saved {model_path} (sha256 {saved['sha256'][:12]}...)", quiet)

    oracle_m = m.get("oracle", {})
    run_row: dict[str, Any] = {
        "run_id": run_id,
        "trained_at": trained_at,
        "warehouse_path": str(path),
        "model_path": str(model_path),
        "model_sha256": saved["sha256"],
        "features": list(FEATURES),
        "n_features": len(FEATURES),
        "train_rows": train.n,
        "validation_rows": val.n,
        "train_positive_rate": float(train.y.mean()),
        "validation_positive_rate": float(val.y.mean()),
        "train_start_at": train.started_at.min(),
        "train_end_at": train.started_at.max(),
        "validation_start_at": val.started_at.min(),
        "validation_end_at": val.started_at.max(),
        "split_cutoff_at": cutoff,
        "decision_threshold": DECISION_THRESHOLD,
        "gbm_n_iter": int(models["gbm"].n_iter_),
        "has_oracle": gap["has_oracle"],
        "oracle_rows": gap["oracle_rows"],
        "roc_auc": m["gbm"]["roc_auc"],
        "brier": m["gbm"]["brier"],
        "baseline_episode_roc_auc": m["baseline_episode"]["roc_auc"],
        "baseline_episode_brier": m["baseline_episode"]["brier"],
        "baseline_logreg_roc_auc": m["baseline_logreg"]["roc_auc"],
        "baseline_logreg_brier": m["baseline_logreg"]["brier"],
        "oracle_roc_auc": _nan_to_none(oracle_m.get("roc_auc")),
        "oracle_brier": _nan_to_none(oracle_m.get("brier")),
        "auc_gap": gap.get("auc_gap"),
        "auc_gap_se": gap.get("auc_gap_se"),
        "brier_gap_pct": gap.get("brier_gap_pct"),
        "sklearn_version": saved["library_versions"]["scikit-learn"],
        "training_seconds": round(time.perf_counter() - started, 3),
        "importance": importance,
    }
    write_run(path, _tables(run_row, val, scores, ev))
    _log(f"wrote ml.* (run {run_id})", quiet)
    result = {k: run_row[k] for k in HEADLINE_KEYS}
    print(format_headline(result), flush=True)
    return result


def _parser(prog: str | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    p.add_argument("--warehouse", help="DuckDB file (default: $ANIME_WAREHOUSE or warehouse/)")
    p.add_argument("--model-out", help=f"model pickle path (default: {DEFAULT_MODEL_PATH})")
    p.add_argument(
        "--verify-model",
        action="store_true",
        help="only check the saved model (sha256, library versions) and load it",
    )
    p.add_argument("--quiet", action="store_true", help="print only the headline")
    return p


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = _parser(prog).parse_args(argv)
    try:
        if args.verify_model:
            model_path = Path(args.model_out) if args.model_out else DEFAULT_MODEL_PATH
            _, meta = load_model(model_path)
            print(f"ok: {model_path} (run {meta.get('run_id')}, sha256 {meta['sha256'][:12]}...)")
            return 0
        run(args.warehouse, args.model_out, quiet=args.quiet)
    except (MLInputError, ModelLoadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


# `python ml/train.py`: a script run finds the `ml` package through the project's editable install
# (`pip install -e .`, which `make` does), wherever it is run from
if __name__ == "__main__":
    sys.exit(main(prog="python ml/train.py"))
