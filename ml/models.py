"""The continuation model and its two baselines (all deterministic)."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

RANDOM_STATE = 20240501
#: Share of the train split (its most recent plays) held out for early stopping.
EARLY_STOPPING_FRACTION = 0.1
#: Logistic regression has ~50 coefficients: a fixed subsample of this many train rows is plenty.
LOGREG_MAX_ROWS = 1_000_000


def make_gbm() -> HistGradientBoostingClassifier:
    """Gradient boosting that scales to millions of rows; NaN (no history yet) handled natively.

    Fit it with `fit_gbm`: early stopping then uses the most recent 10% of the train split (a
    time-ordered holdout, like the validation split, and a zero-copy slice of the rows).
    """
    return HistGradientBoostingClassifier(
        learning_rate=0.1,
        max_iter=500,
        max_leaf_nodes=31,
        min_samples_leaf=200,
        l2_regularization=1.0,
        early_stopping=True,
        n_iter_no_change=20,
        scoring="loss",
        random_state=RANDOM_STATE,
    )


def fit_gbm(X: np.ndarray, y: np.ndarray) -> HistGradientBoostingClassifier:
    """Fit make_gbm() with early stopping on the last EARLY_STOPPING_FRACTION of the rows.

    Rows must be in time order (ml.data returns them ordered by started_at, event_id).
    """
    cut = int(round(len(y) * (1.0 - EARLY_STOPPING_FRACTION)))
    if cut <= 0 or cut >= len(y) or len(np.unique(y[cut:])) < 2 or len(np.unique(y[:cut])) < 2:
        return make_gbm().set_params(validation_fraction=EARLY_STOPPING_FRACTION).fit(X, y)
    return make_gbm().fit(X[:cut], y[:cut], X_val=X[cut:], y_val=y[cut:])


def fit_logreg(X: np.ndarray, y: np.ndarray, seed: int = RANDOM_STATE) -> Pipeline:
    """Fit make_logreg() on all rows, or on a fixed random LOGREG_MAX_ROWS of them."""
    if len(y) > LOGREG_MAX_ROWS:
        idx = np.sort(np.random.default_rng(seed).choice(len(y), LOGREG_MAX_ROWS, replace=False))
        X, y = X[idx], y[idx]
    return make_logreg().fit(X, y)


def make_logreg() -> Pipeline:
    """Logistic regression on the same features: median imputation (+ missing flags), scaling."""
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", add_indicator=True)),
            ("scale", StandardScaler()),
            ("logreg", LogisticRegression(C=1.0, max_iter=2000)),
        ]
    )


class EpisodeRateBaseline:
    """P(continue) = the train continuation rate of the play's episode number.

    Rates are shrunk towards the overall train rate with `prior_weight` pseudo-plays, so rare
    episode numbers (and ones never seen in train) fall back to the overall rate.
    """

    def __init__(self, prior_weight: float = 20.0) -> None:
        self.prior_weight = prior_weight
        self.overall_: float = float("nan")
        self.rates_: dict[int, float] = {}

    def fit(self, episode_number: np.ndarray, y: np.ndarray) -> EpisodeRateBaseline:
        ep = np.nan_to_num(np.asarray(episode_number, dtype=float), nan=0.0).astype(np.int64)
        y = np.asarray(y, dtype=float)
        self.overall_ = float(y.mean())
        keys, inverse = np.unique(ep, return_inverse=True)
        n = np.bincount(inverse).astype(float)
        pos = np.bincount(inverse, weights=y)
        rate = (pos + self.prior_weight * self.overall_) / (n + self.prior_weight)
        self.rates_ = {int(k): float(r) for k, r in zip(keys, rate, strict=True)}
        return self

    def predict_proba(self, episode_number: np.ndarray) -> np.ndarray:
        """P(continue) per row (1-D, index-aligned with the input)."""
        ep = np.nan_to_num(np.asarray(episode_number, dtype=float), nan=0.0).astype(np.int64)
        keys = np.fromiter(self.rates_.keys(), dtype=np.int64, count=len(self.rates_))
        vals = np.fromiter(self.rates_.values(), dtype=float, count=len(self.rates_))
        order = np.argsort(keys)
        keys, vals = keys[order], vals[order]
        pos = np.clip(np.searchsorted(keys, ep), 0, len(keys) - 1)
        hit = keys[pos] == ep
        return np.where(hit, vals[pos], self.overall_)
