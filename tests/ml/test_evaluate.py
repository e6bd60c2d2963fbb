"""Metric helpers: bucket metrics equal an independent recomputation and follow row alignment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import brier_score_loss, precision_score, recall_score, roc_auc_score

from ml import evaluate
from ml.features import episode_bucket


def _data(n: int = 6000, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ep = rng.integers(1, 30, n).astype(float)
    p = 1 / (1 + np.exp(-(0.8 - 0.05 * ep + rng.normal(0, 1, n))))
    y = (rng.uniform(size=n) < p).astype(np.int8)
    return y, p, ep


def test_episode_bucket_edges() -> None:
    got = episode_bucket(np.array([1, 3, 4, 8, 9, 120, np.nan]))
    assert list(got) == ["1-3", "1-3", "4-8", "4-8", "9+", "9+", "unknown"]


def test_bucket_metrics_equal_independent_recomputation() -> None:
    y, p, ep = _data()
    rows = {r["episode_bucket"]: r for r in evaluate.metrics_by_bucket(y, p, ep, 0.5)}
    frame = pd.DataFrame({"y": y, "p": p, "ep": ep})
    frame["bucket"] = pd.cut(frame["ep"], [0, 3, 8, np.inf], labels=["1-3", "4-8", "9+"])
    for bucket, group in frame.groupby("bucket", observed=True):
        row = rows[str(bucket)]
        assert row["n_rows"] == len(group)
        assert row["roc_auc"] == pytest.approx(roc_auc_score(group["y"], group["p"]))
        assert row["brier"] == pytest.approx(brier_score_loss(group["y"], group["p"]))
        pred = (group["p"] >= 0.5).astype(int)
        assert row["precision"] == pytest.approx(precision_score(group["y"], pred))
        assert row["recall"] == pytest.approx(recall_score(group["y"], pred))
        assert row["positive_rate"] == pytest.approx(group["y"].mean())


def test_bucket_metrics_follow_rows_not_positions() -> None:
    y, p, ep = _data()
    base = evaluate.metrics_by_bucket(y, p, ep, 0.5)
    perm = np.random.default_rng(0).permutation(len(y))
    shuffled = evaluate.metrics_by_bucket(y[perm], p[perm], ep[perm], 0.5)
    for a, b in zip(base, shuffled, strict=True):
        assert a == pytest.approx(b)
    # misaligning the scores (shuffling them alone) must change the answer
    broken = evaluate.metrics_by_bucket(y, p[perm], ep, 0.5)
    assert broken[0]["roc_auc"] == pytest.approx(0.5, abs=0.06)
    assert base[0]["roc_auc"] > 0.6
    with pytest.raises(ValueError, match="index-aligned"):
        evaluate.metrics_by_bucket(y, p[:-1], ep, 0.5)


def test_delong_matches_sklearn_and_bootstrap() -> None:
    y, p, _ = _data(4000)
    q = np.clip(p + np.random.default_rng(1).normal(0, 0.2, len(p)), 0, 1)
    aucs, cov = evaluate.delong(y, p, q)
    assert aucs[0] == pytest.approx(roc_auc_score(y, p))
    assert aucs[1] == pytest.approx(roc_auc_score(y, q))
    se = evaluate.auc_difference_se(y, p, q)
    rng = np.random.default_rng(2)
    diffs = []
    for _ in range(200):
        i = rng.integers(0, len(y), len(y))
        diffs.append(roc_auc_score(y[i], p[i]) - roc_auc_score(y[i], q[i]))
    assert se == pytest.approx(np.std(diffs), rel=0.25)
    assert cov[0, 0] > 0


def test_curves() -> None:
    y, p, _ = _data()
    roc = evaluate.roc_points(y, p)
    assert 150 <= len(roc) <= 202
    assert roc[0]["threshold"] is None and roc[-1]["fpr"] == 1.0
    assert all(a["fpr"] <= b["fpr"] for a, b in zip(roc, roc[1:], strict=False))
    curve = {round(r["threshold"], 2): r for r in evaluate.threshold_curve(y, p)}
    for t in (0.2, 0.5, 0.8):
        pred = (p >= t).astype(int)
        assert curve[t]["precision"] == pytest.approx(precision_score(y, pred, zero_division=0))
        assert curve[t]["recall"] == pytest.approx(recall_score(y, pred))
    calib = evaluate.calibration_table(y, p)
    assert sum(r["n_rows"] for r in calib) == len(y)
    for r in calib:
        in_bin = (p >= r["bin_lower"]) & ((p < r["bin_upper"]) | (r["bin_upper"] == 1.0))
        assert r["n_rows"] == in_bin.sum()
        assert r["observed_rate"] == pytest.approx(y[in_bin].mean())
