"""Validation metrics, curves, bucket metrics, permutation importance and DeLong AUC noise.

Every function takes index-aligned 1-D arrays: y[i], score[i] and episode_number[i] are the same
play. Nothing here reorders rows except behind a returned index.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.stats import rankdata
from sklearn.calibration import calibration_curve
from sklearn.inspection import permutation_importance
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

from ml.features import EPISODE_BUCKETS, FEATURES, episode_bucket

NAN = float("nan")
METRIC_NAMES: tuple[str, ...] = (
    "roc_auc",
    "pr_auc",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "brier",
    "log_loss",
    "n_rows",
    "positive_rate",
    "mean_score",
)


def _check_aligned(*arrays: np.ndarray) -> None:
    shapes = {np.shape(a) for a in arrays}
    if len(shapes) != 1 or len(next(iter(shapes))) != 1:
        raise ValueError(f"expected index-aligned 1-D arrays of one length, got shapes {shapes}")


def binary_metrics(y: np.ndarray, score: np.ndarray, threshold: float) -> dict[str, float]:
    """Ranking, threshold and probability metrics of one score on one set of rows."""
    y = np.asarray(y).astype(np.int8)
    score = np.asarray(score, dtype=float)
    _check_aligned(y, score)
    n = int(y.shape[0])
    out: dict[str, float] = {m: NAN for m in METRIC_NAMES}
    out["n_rows"] = float(n)
    if n == 0:
        return out
    pred = (score >= threshold).astype(np.int8)
    both = 0 < y.sum() < n
    out.update(
        roc_auc=float(roc_auc_score(y, score)) if both else NAN,
        pr_auc=float(average_precision_score(y, score)) if both else NAN,
        accuracy=float(accuracy_score(y, pred)),
        precision=float(precision_score(y, pred, zero_division=0.0)),
        recall=float(recall_score(y, pred, zero_division=0.0)),
        f1=float(f1_score(y, pred, zero_division=0.0)),
        brier=float(brier_score_loss(y, score)),
        log_loss=float(log_loss(y, np.clip(score, 1e-15, 1 - 1e-15), labels=[0, 1])),
        positive_rate=float(y.mean()),
        mean_score=float(score.mean()),
    )
    return out


def metrics_by_bucket(
    y: np.ndarray, score: np.ndarray, episode_number: np.ndarray, threshold: float
) -> list[dict[str, Any]]:
    """binary_metrics within each episode bucket (1-3, 4-8, 9+); rows stay aligned by index."""
    y = np.asarray(y)
    score = np.asarray(score, dtype=float)
    episode_number = np.asarray(episode_number, dtype=float)
    _check_aligned(y, score, episode_number)
    buckets = episode_bucket(episode_number)
    rows = []
    for name, _, _ in EPISODE_BUCKETS:
        mask = buckets == name
        rows.append({"episode_bucket": name, **binary_metrics(y[mask], score[mask], threshold)})
    return rows


def delong(y: np.ndarray, *scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUCs of several scores on the same rows and their DeLong covariance matrix.

    Fast DeLong (Sun & Xu, 2014) with mid-ranks for ties: O(k * n log n).
    """
    y = np.asarray(y).astype(bool)
    s = np.vstack([np.asarray(x, dtype=float) for x in scores])
    pos, neg = s[:, y], s[:, ~y]
    m, n = pos.shape[1], neg.shape[1]
    if m < 2 or n < 2:
        k = s.shape[0]
        return np.full(k, NAN), np.full((k, k), NAN)
    k = s.shape[0]
    v01 = np.empty((k, m))
    v10 = np.empty((k, n))
    aucs = np.empty(k)
    for i in range(k):
        tx = rankdata(pos[i])
        ty = rankdata(neg[i])
        tz = rankdata(np.concatenate([pos[i], neg[i]]))
        aucs[i] = (tz[:m].sum() - m * (m + 1) / 2.0) / (m * n)
        v01[i] = (tz[:m] - tx) / n
        v10[i] = 1.0 - (tz[m:] - ty) / m
    cov = np.atleast_2d(np.cov(v01)) / m + np.atleast_2d(np.cov(v10)) / n
    return aucs, cov


def auc_difference_se(y: np.ndarray, score_a: np.ndarray, score_b: np.ndarray) -> float:
    """DeLong standard error of AUC(a) - AUC(b) on the same rows (paired)."""
    _, cov = delong(y, score_a, score_b)
    var = cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1]
    return float(math.sqrt(max(var, 0.0)))


def calibration_table(y: np.ndarray, score: np.ndarray, n_bins: int = 10) -> list[dict[str, Any]]:
    """Reliability curve (sklearn calibration_curve, uniform bins) with the rows in each bin."""
    y = np.asarray(y).astype(np.int8)
    score = np.asarray(score, dtype=float)
    _check_aligned(y, score)
    observed, predicted = calibration_curve(y, score, n_bins=n_bins, strategy="uniform")
    # The same bins as calibration_curve, to attach counts and bin bounds.
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bin_ids = np.searchsorted(edges[1:-1], score)
    counts = np.bincount(bin_ids, minlength=n_bins)
    nonempty = np.flatnonzero(counts)
    if len(nonempty) != len(observed):  # pragma: no cover - guards a change in sklearn
        raise RuntimeError("calibration bins do not match sklearn's calibration_curve")
    return [
        {
            "bin": int(b),
            "bin_lower": float(edges[b]),
            "bin_upper": float(edges[b + 1]),
            "mean_predicted": float(p),
            "observed_rate": float(o),
            "n_rows": int(counts[b]),
        }
        for b, p, o in zip(nonempty, predicted, observed, strict=True)
    ]


def roc_points(y: np.ndarray, score: np.ndarray, n_points: int = 200) -> list[dict[str, Any]]:
    """About n_points points of the ROC curve, evenly spread in false positive rate."""
    fpr, tpr, thr = roc_curve(y, score, drop_intermediate=True)
    grid = np.linspace(0.0, 1.0, n_points)
    idx = np.searchsorted(fpr, grid, side="right") - 1
    idx = np.unique(np.concatenate([[0], np.clip(idx, 0, len(fpr) - 1), [len(fpr) - 1]]))
    return [
        {
            "point": i,
            "fpr": float(fpr[j]),
            "tpr": float(tpr[j]),
            "threshold": float(thr[j]) if np.isfinite(thr[j]) else None,
        }
        for i, j in enumerate(idx)
    ]


def threshold_curve(
    y: np.ndarray, score: np.ndarray, thresholds: np.ndarray | None = None
) -> list[dict[str, Any]]:
    """Precision, recall, F1, accuracy and predicted-positive rate at each threshold (>= t)."""
    y = np.asarray(y).astype(bool)
    score = np.asarray(score, dtype=float)
    _check_aligned(y, score)
    if thresholds is None:
        thresholds = np.round(np.linspace(0.01, 0.99, 99), 2)
    order = np.argsort(score, kind="stable")
    s_sorted, y_sorted = score[order], y[order]
    # positives / all rows with score >= t, from suffix sums
    pos_suffix = np.concatenate([np.cumsum(y_sorted[::-1])[::-1], [0]])
    n, total_pos = len(y), int(y.sum())
    rows = []
    for t in thresholds:
        k = int(np.searchsorted(s_sorted, t, side="left"))
        predicted = n - k
        tp = int(pos_suffix[k])
        precision = tp / predicted if predicted else 0.0
        recall = tp / total_pos if total_pos else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        tn = (n - total_pos) - (predicted - tp)
        rows.append(
            {
                "threshold": float(t),
                "precision": precision,
                "recall": recall,
                "f1": f1,
                "accuracy": (tp + tn) / n if n else NAN,
                "predicted_positive_rate": predicted / n if n else NAN,
            }
        )
    return rows


def subsample_index(n: int, max_rows: int, seed: int) -> np.ndarray:
    """A sorted, deterministic subsample of range(n) (all rows when n <= max_rows)."""
    if n <= max_rows:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=max_rows, replace=False))


def permutation_importance_table(
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    max_rows: int = 20_000,
    n_repeats: int = 3,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Drop in validation ROC AUC when each feature is shuffled (sklearn permutation_importance)."""
    idx = subsample_index(len(y), max_rows, seed)
    result = permutation_importance(
        model,
        X[idx],
        np.asarray(y)[idx],
        scoring="roc_auc",
        n_repeats=n_repeats,
        random_state=seed,
        n_jobs=1,
    )
    order = np.argsort(-result.importances_mean, kind="stable")
    rank = np.empty(len(FEATURES), dtype=int)
    rank[order] = np.arange(1, len(FEATURES) + 1)
    return [
        {
            "feature": f,
            "importance_mean": float(result.importances_mean[j]),
            "importance_std": float(result.importances_std[j]),
            "importance_rank": int(rank[j]),
            "n_rows": int(len(idx)),
            "n_repeats": n_repeats,
        }
        for j, f in enumerate(FEATURES)
    ]
