"""The one place that names the model's inputs: feature columns, label, split rule and keys.

Everything else (training, the baselines, permutation importance, the bench, the synthetic test
warehouse) imports these names; `docs/contracts.md` documents the same columns of
`marts.ml_features`.
"""

from __future__ import annotations

import numpy as np

FEATURE_TABLE = ("marts", "ml_features")

#: Point-in-time features of a play, in the order the model sees them.
FEATURES: tuple[str, ...] = (
    "episode_number",
    "episodes_total",
    "series_fraction",
    "is_last_episode",
    "episode_duration_seconds",
    "completion",
    "user_prior_plays",
    "user_prior_titles",
    "user_prior_mean_completion",
    "user_prior_resolved_labels",
    "user_prior_continuation_rate",
    "days_since_signup",
    "days_since_prev_play",
    "user_title_prior_plays",
    "title_prior_plays",
    "title_prior_viewers",
    "title_prior_continuation_rate",
    "title_score_mean",
    "title_popularity_members",
    "session_position",
    "session_minutes_so_far",
    "hour_of_day",
    "day_of_week",
    "minutes_since_prev_play",
)

LABEL = "continued_next_episode"
#: The split by time, decided by the ML step when it reads the mart (`ml/data.py`), never stored in
#: it: the cutoff is this quantile (discrete) of `SPLIT_TIME` over the mart's labelled rows; plays
#: starting before it are train, the rest validation. Each run stores its cutoff in
#: `ml.model_runs.split_cutoff_at`, so a play's split in a run never changes afterwards.
SPLIT_TIME = "started_at"
SPLIT_QUANTILE = 0.8
TRAIN = "train"
VALIDATION = "validation"
#: Columns carried along with each row (never fed to a model).
KEYS: tuple[str, ...] = ("event_id", "user_id", "anime_id", "started_at")

#: Episode buckets used for metrics by bucket: (name, first episode, last episode or None).
EPISODE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1-3", 1, 3),
    ("4-8", 4, 8),
    ("9+", 9, None),
)

#: Decision threshold for accuracy / precision / recall / F1 (see ml/README.md).
DECISION_THRESHOLD = 0.5


def episode_bucket(episode_number: np.ndarray) -> np.ndarray:
    """The bucket name of each episode number (index-aligned with the input)."""
    ep = np.asarray(episode_number, dtype=float)
    out = np.full(ep.shape, "unknown", dtype=object)
    for name, lo, hi in EPISODE_BUCKETS:
        mask = ep >= lo if hi is None else (ep >= lo) & (ep <= hi)
        out[mask] = name
    return out
