"""The fast simulator equals the plainly written behaviour model (tests/simulator/reference.py).

Both run on the same small populations: every event (ids, titles, episodes, times, seconds, device,
the continuation draw, resumed pieces, rewatches, skips) and every user's truth must be identical;
the float truth (probability, interest, logit terms) equal to 1e-12 relative, which allows only
last-bit differences.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest

from simulator import progression
from simulator.clock import DAY, Window
from simulator.config import Config, load_config
from simulator.events import EVENT_COLUMNS
from simulator.pool import USER_TRUTH
from simulator.population import Users, signed_up_batches
from simulator.titles import Catalogue, load_catalogue
from tests.simulator import reference

FLOATS = [name for name, t in EVENT_COLUMNS.items() if t in (np.float32, np.float64) and name != "started"]
START = dt.date(2026, 1, 5)  # a Monday


def _inputs(path: Path, cfg: Config, n_users: int, days: int, seed: int) -> tuple[Users, Catalogue, Window]:
    window = Window(end=days * DAY, start_weekday=START.weekday())
    with duckdb.connect(str(path)) as con:
        cat = load_catalogue(con, path, cfg, seed, START.year)
    [(_, users)] = list(signed_up_batches(n_users, n_users, cfg, cat, seed, window.end))
    return users, cat, window


def _fast(users: Users, cat: Catalogue, cfg: Config, window: Window, pool_users: int) -> tuple[dict, dict]:
    batches: list[dict[str, np.ndarray]] = []
    truths: dict[int, dict[str, Any]] = {}

    def done(done_users: Users, truth: dict[str, np.ndarray]) -> None:
        for j, user_id in enumerate(done_users.user_id):
            truths[int(user_id)] = {name: truth[name][j] for name in USER_TRUTH}

    batch_users = max(1, pool_users // 2)
    parts = [
        users.take(np.arange(lo, min(lo + batch_users, len(users.user_id))))
        for lo in range(0, len(users.user_id), batch_users)
    ]
    progression.simulate(parts, cat, cfg, window, batches.append, done, pool_users=pool_users)
    events = {name: np.concatenate([b[name] for b in batches]) for name in EVENT_COLUMNS}
    order = np.argsort(events["event_id"], kind="stable")
    return {name: v[order] for name, v in events.items()}, truths


def _compare(users: Users, cat: Catalogue, cfg: Config, window: Window, pool_users: int) -> dict[str, int]:
    """Asserts equality; returns the number of events and of each real-log shape among them."""
    fast_events, fast_truth = _fast(users, cat, cfg, window, pool_users)
    ref_events, ref_truth = reference.simulate(users, cat, cfg, window)
    assert len(ref_events) == len(fast_events["event_id"])
    for name in EVENT_COLUMNS:
        ref = np.array([e[name] for e in ref_events], dtype=EVENT_COLUMNS[name])
        if name in FLOATS:
            np.testing.assert_allclose(fast_events[name], ref, rtol=1e-12, atol=1e-12, err_msg=name)
        else:
            np.testing.assert_array_equal(fast_events[name], ref, err_msg=name)
    assert len(fast_truth) == len(ref_truth)
    for user_id, truth in zip(users.user_id, ref_truth, strict=True):
        got = fast_truth[int(user_id)]
        for name, value in truth.items():
            if name == "last_dormant_at":
                np.testing.assert_equal(got[name], value, err_msg=name)
            else:
                assert got[name] == value, (int(user_id), name)
    return {
        "events": len(ref_events),
        "resumed": int(fast_events["is_resumed_piece"].sum()),
        "rewatches": int(fast_events["is_rewatch"].sum()),
        "skips": int((fast_events["skipped_episodes"] > 0).sum()),
    }


@pytest.mark.parametrize("pool_users", [300, 37])
def test_fast_simulator_equals_the_reference(tiny_warehouse: Callable[[str], Path], pool_users: int) -> None:
    """Default behaviour, 300 users over 30 days; a small pool refills rows as users leave."""
    cfg = load_config()
    users, cat, window = _inputs(tiny_warehouse("a"), cfg, 300, 30, seed=42)
    counts = _compare(users, cat, cfg, window, pool_users)
    assert counts["events"] > 2000 and min(counts.values()) > 0, counts


def test_equal_with_one_title_at_a_time_and_much_churn(tiny_warehouse: Callable[[str], Path]) -> None:
    """Other branches weighted up: full slots, dormant spells, never returning, browsing, exploring,
    and many resumed views, skips and rewatches (a resumed finale that is then rewatched)."""
    cfg = load_config(
        overrides={
            "titles": {"max_parallel_titles": 1, "explore_share": 0.6},
            "completion": {"resume_share": 0.9, "resume_gap_mean_minutes": 2000.0},
            "continuation": {"skip_share": 0.3, "rewatch_share": 0.8},
            "churn": {"dormancy_per_title": 0.5, "never_return_share": 0.3},
            "timing": {"browse_after_end_share": 0.9, "max_gap_days": 3},
        }
    )
    users, cat, window = _inputs(tiny_warehouse("a"), cfg, 200, 45, seed=7)
    assert _compare(users, cat, cfg, window, 64)["events"] > 500


def test_equal_on_the_sample_catalogue(sample_warehouse: Path) -> None:
    """The embedded sample: hundreds of titles and dozens of tags (taste sums over many tags)."""
    cfg = load_config()
    users, cat, window = _inputs(sample_warehouse, cfg, 120, 21, seed=3)
    assert len(cat.tags) > 20
    assert _compare(users, cat, cfg, window, 120)["events"] > 500
