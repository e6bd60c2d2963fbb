"""Kaplan-Meier episode survival and its Greenwood interval against a plain-Python computation.

Independent of the SQL: it starts from raw.viewing_events and the episode list, not from any model.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

HORIZON = timedelta(days=14)


def kaplan_meier(endpoints: list[tuple[int, bool]]) -> dict[int, tuple[int, int, float, float, float]]:
    """endpoints: (deepest episode, dropped there). Returns k -> (at_risk, dropped, S, lower, upper)."""
    deepest = max(d for d, _ in endpoints)
    survival, greenwood, out = 1.0, 0.0, {}
    for k in range(1, deepest + 1):
        at_risk = sum(1 for d, _ in endpoints if d >= k)
        dropped = sum(1 for d, is_drop in endpoints if d == k and is_drop)
        survival *= 1 - dropped / at_risk
        if dropped < at_risk:
            greenwood += dropped / (at_risk * (at_risk - dropped))
        half = 1.96 * survival * math.sqrt(greenwood)
        out[k] = (at_risk, dropped, survival, max(0.0, survival - half), min(1.0, survival + half))
    return out


@pytest.fixture(scope="module")
def expected(engagement_warehouse: Path) -> dict:
    con = duckdb.connect(str(engagement_warehouse), read_only=True)
    try:
        plays = con.execute(
            "select user_id, anime_id, episode_number, started_at from raw.viewing_events"
        ).fetchall()
        n_episodes = dict(
            con.execute("select anime_id, max(episode_number) from marts.episodes group by 1").fetchall()
        )
    finally:
        con.close()
    window_end = max(p[3] for p in plays)
    user_titles: dict[tuple, list] = defaultdict(list)
    for user, anime, ep, at in plays:
        user_titles[(user, anime)].append((ep, at))
    per_title: dict[str, list] = defaultdict(list)
    for (_, anime), rows in user_titles.items():
        deepest = max(ep for ep, _ in rows)
        completed = any(ep == n_episodes[anime] for ep, _ in rows)
        active = max(at for _, at in rows) + HORIZON > window_end
        per_title[anime].append((deepest, not completed and not active))
    result = {("all_titles", None): kaplan_meier([e for v in per_title.values() for e in v])}
    for anime, endpoints in per_title.items():
        result[("title", anime)] = kaplan_meier(endpoints)
    return result


def test_km_survival_and_greenwood_interval_match(engagement_warehouse: Path, expected: dict) -> None:
    con = duckdb.connect(str(engagement_warehouse), read_only=True)
    try:
        rows = con.execute(
            "select scope, anime_id, episode_number, at_risk, dropped, km_survival, km_ci_lower,"
            " km_ci_upper from marts.retention_by_episode"
        ).fetchall()
    finally:
        con.close()
    actual: dict[tuple, dict] = defaultdict(dict)
    for scope, anime, k, *values in rows:
        actual[(scope, anime)][k] = tuple(values)
    assert set(actual) == set(expected)
    n_drops = 0
    for key, curve in expected.items():
        assert set(actual[key]) == set(curve), key
        for k, (at_risk, dropped, survival, lower, upper) in curve.items():
            got = actual[key][k]
            assert got[:2] == (at_risk, dropped), (key, k)
            assert got[2:] == pytest.approx((survival, lower, upper), abs=1e-9), (key, k)
            n_drops += dropped
    assert n_drops > 20  # the fixture has real drop-offs, not only censoring
    # survival never increases along a curve
    for curve in actual.values():
        values = [curve[k][2] for k in sorted(curve)]
        assert all(b <= a + 1e-12 for a, b in zip(values, values[1:], strict=False))
