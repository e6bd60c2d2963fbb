"""A synthetic warehouse for tests and benchmarks: marts.ml_features + sim.event_truth.

Labels are drawn from a known P(continue) that depends only on the contract features, so a good
model can reach the oracle. `leak=True` adds the label into one feature (a future leak), which
pushes a model above the oracle: the leak detector test uses it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from ml.features import FEATURES

WINDOW_START = dt.datetime(2024, 1, 1)
INTEGER_FEATURES = {
    "episode_number",
    "episodes_total",
    "episode_duration_seconds",
    "user_prior_plays",
    "user_prior_titles",
    "user_prior_resolved_labels",
    "days_since_signup",
    "user_title_prior_plays",
    "title_prior_plays",
    "title_prior_viewers",
    "title_popularity_members",
    "session_position",
    "hour_of_day",
    "day_of_week",
}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def synthetic_features(
    n_rows: int, seed: int = 0, *, leak: bool = False
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Columns of a synthetic ml_features table (sorted by time) and the true P(continue).

    Like the real mart it has no split column: training splits it by time when it reads it.
    """
    rng = np.random.default_rng(seed)
    n = n_rows
    days = 60
    started = np.sort(rng.uniform(0, days * 86400.0, n))
    started_at = np.datetime64(WINDOW_START, "us") + (started * 1e6).astype("timedelta64[us]")
    totals = rng.choice(np.array([12, 13, 24, 26, 50]), n, p=[0.35, 0.2, 0.3, 0.1, 0.05])
    ep = np.minimum(rng.geometric(0.18, n), totals - 1)
    duration = rng.choice(np.array([1380, 1440, 1500]), n)
    completion = np.clip(rng.beta(5.0, 1.3, n), 0.02, 1.0)
    prior_plays = rng.negative_binomial(2, 0.06, n)
    has_prior = prior_plays > 0
    prior_titles = np.where(has_prior, 1 + rng.binomial(np.maximum(prior_plays - 1, 0), 0.2), 0)
    prior_comp = np.where(has_prior, np.clip(rng.normal(0.8, 0.1, n), 0, 1), np.nan)
    resolved = np.floor(prior_plays * rng.uniform(0.5, 0.95, n)).astype(int)
    user_rate = np.where(resolved > 0, rng.beta(4, 2, n), np.nan)
    signup = rng.integers(0, 400, n)
    since_prev_min = np.where(has_prior, rng.exponential(1500, n), np.nan)
    session_pos = np.where(has_prior & (since_prev_min < 30), 1 + rng.geometric(0.35, n), 1).astype(int)
    session_minutes = (session_pos - 1) * 24.0 + rng.uniform(0, 3, n)
    title_plays = rng.negative_binomial(1, 0.0005, n)
    title_viewers = np.maximum(title_plays // 6, 0)
    title_rate = np.where(title_plays > 20, rng.beta(6, 3, n), np.nan)
    score_mean = np.clip(rng.normal(7.0, 0.8, n), 1, 10)
    popularity = rng.lognormal(11, 1.5, n).astype(int)
    hour = rng.integers(0, 24, n)
    dow = rng.integers(0, 7, n)

    logit = (
        0.9
        + 3.0 * (completion - 0.8)
        - 1.2 * (completion < 0.4)
        + 1.8 * np.nan_to_num(user_rate - 0.65)
        + 0.8 * np.nan_to_num(title_rate - 0.65)
        + 0.45 * np.log(session_pos)
        - 0.35 * (ep == 1)
        + 0.25 * np.sin(2 * np.pi * hour / 24.0)
        + 0.15 * (score_mean - 7.0)
        - 0.3 * (~has_prior)
    )
    p = _sigmoid(logit)
    label = rng.uniform(size=n) < p
    user_title_prior = (ep - 1).astype(float)
    if leak:  # the future leaks into a feature: a model can beat the Bayes ceiling
        user_title_prior = user_title_prior + 3.0 * label + rng.normal(0, 1.0, n)
    columns: dict[str, np.ndarray] = {
        "event_id": rng.permutation(n).astype(np.int64) + 1,
        "user_id": rng.integers(1, max(n // 50, 2), n).astype(np.int64),
        "anime_id": np.char.add("mal-", rng.integers(1, 500, n).astype(str)).astype(object),
        "started_at": started_at,
        "continued_next_episode": label,
        "episode_number": ep,
        "episodes_total": totals,
        "series_fraction": ep / totals,
        "is_last_episode": np.zeros(n, dtype=bool),
        "episode_duration_seconds": duration,
        "completion": completion,
        "user_prior_plays": prior_plays,
        "user_prior_titles": prior_titles,
        "user_prior_mean_completion": prior_comp,
        "user_prior_resolved_labels": resolved,
        "user_prior_continuation_rate": user_rate,
        "days_since_signup": signup,
        "days_since_prev_play": since_prev_min / 1440.0,
        "user_title_prior_plays": user_title_prior,
        "title_prior_plays": title_plays,
        "title_prior_viewers": title_viewers,
        "title_prior_continuation_rate": title_rate,
        "title_score_mean": score_mean,
        "title_popularity_members": popularity,
        "session_position": session_pos,
        "session_minutes_so_far": session_minutes,
        "hour_of_day": hour,
        "day_of_week": dow,
        "minutes_since_prev_play": since_prev_min,
    }
    assert set(FEATURES) <= set(columns)
    return columns, p


def synthetic_matrix(n_rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) in FEATURES order, for benchmarks that skip DuckDB."""
    cols, _ = synthetic_features(n_rows, seed)
    X = np.column_stack([np.asarray(cols[f], dtype=np.float64) for f in FEATURES])
    return X, cols["continued_next_episode"].astype(np.int8)


def make_synthetic_warehouse(
    path: str | Path,
    n_rows: int = 20_000,
    seed: int = 0,
    *,
    leak: bool = False,
    with_sim: bool = True,
) -> Path:
    """Write marts.ml_features (and sim.event_truth unless with_sim=False) to a DuckDB file."""
    path = Path(path)
    cols, p = synthetic_features(n_rows, seed, leak=leak)
    table = pa.table({k: pa.array(v) for k, v in cols.items()})
    casts = []
    for name in cols:
        if name in INTEGER_FEATURES:
            casts.append(f"cast({name} as integer) as {name}")
        elif name == "user_title_prior_plays" and leak:
            casts.append(f"cast({name} as double) as {name}")
        else:
            casts.append(name)
    con = duckdb.connect(str(path))
    try:
        con.register("_features", table)
        con.execute("create schema if not exists marts")
        con.execute(
            f"create or replace table marts.ml_features as select {', '.join(casts)} "
            "from _features order by started_at, event_id"
        )
        if with_sim:
            truth = pa.table(
                {
                    "event_id": pa.array(cols["event_id"]),
                    "p_continue": pa.array(p),
                    "logit_total": pa.array(np.log(p / (1 - p))),
                }
            )
            con.register("_truth", truth)
            con.execute("create schema if not exists sim")
            con.execute("create or replace table sim.event_truth as select * from _truth")
    finally:
        con.close()
    return path
