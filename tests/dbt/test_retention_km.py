"""Kaplan-Meier episode survival and its Greenwood interval against a plain-Python computation.

Independent of the SQL: it starts from raw.viewing_events and the episode list, not from any model,
and applies docs/real-logs.md's rules (user-titles by their first play of an episode; going past
an episode is playing any later one) on a fixture that holds rewatches.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

HORIZON = timedelta(days=14)


def kaplan_meier(steps: dict[int, tuple[int, int]]) -> dict[int, tuple[int, int, float, float, float]]:
    """steps: k -> (user-titles with a resolved step k -> k+1, drops among them).
    Returns k -> (at_risk, dropped, S, lower, upper); a step nobody was observed through keeps S."""
    survival, greenwood, out = 1.0, 0.0, {}
    for k in range(1, max(steps) + 1):
        at_risk, dropped = steps.get(k, (0, 0))
        if at_risk:
            survival *= 1 - dropped / at_risk
        if 0 < at_risk and dropped < at_risk:
            greenwood += dropped / (at_risk * (at_risk - dropped))
        half = 1.96 * survival * math.sqrt(greenwood)
        out[k] = (at_risk, dropped, survival, max(0.0, survival - half), min(1.0, survival + half))
    return out


@pytest.fixture(scope="module")
def expected(engagement_warehouse: Path) -> dict:
    con = duckdb.connect(str(engagement_warehouse), read_only=True)
    try:
        plays = con.execute(
            "select user_id, anime_id, episode_number, started_at, event_id from raw.viewing_events"
        ).fetchall()
        n_episodes = dict(
            con.execute("select anime_id, max(episode_number) from marts.episodes group by 1").fetchall()
        )
    finally:
        con.close()
    window_end = max(p[3] for p in plays)
    # each user-title's plays, and its first play of each episode (earliest; lowest id on a tie)
    title_plays: dict[tuple, list] = defaultdict(list)
    first_play: dict[tuple, tuple] = {}
    for user, anime, ep, at, event_id in plays:
        title_plays[(user, anime)].append((ep, at))
        key = (user, anime, ep)
        first_play[key] = min(first_play.get(key, (at, event_id)), (at, event_id))
    # per title and pooled: k -> [resolved, dropped], one entry per user-title, by its first play of
    # k; going past k is a play of any later episode within H (a skip counts)
    counts: dict[tuple, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for (user, anime, ep), (at, _) in first_play.items():
        for key in (("title", anime), ("all_titles", None)):
            counts[key][ep]  # the episode was reached: it gets a row even if nothing resolves
        if ep == n_episodes[anime] or at + HORIZON > window_end:
            continue  # the last episode has no next step; a censored play resolves nothing
        continued = any(later > ep and at < nxt <= at + HORIZON for later, nxt in title_plays[(user, anime)])
        for key in (("title", anime), ("all_titles", None)):
            counts[key][ep][0] += 1
            counts[key][ep][1] += 0 if continued else 1
    return {key: kaplan_meier({k: tuple(v) for k, v in steps.items()}) for key, steps in counts.items()}


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


def test_viewers_per_episode_are_distinct_users_of_the_raw_log(engagement_warehouse: Path) -> None:
    """viewers_played sums first plays (is_first_episode_play): it must equal the distinct users who
    played each episode, counted here from the raw log, on a fixture where some users replay."""
    con = duckdb.connect(str(engagement_warehouse), read_only=True)
    try:
        plays = con.execute("select user_id, anime_id, episode_number from raw.viewing_events").fetchall()
        rows = con.execute(
            "select scope, anime_id, episode_number, viewers_played from marts.retention_by_episode"
        ).fetchall()
    finally:
        con.close()
    viewers: dict[tuple, set] = defaultdict(set)
    for user, anime, ep in plays:
        viewers[("title", anime, ep)].add(user)
        viewers[("all_titles", None, ep)].add((user, anime))
    assert len(plays) > len({(u, a, e) for u, a, e in plays})  # replays exist
    actual = {(scope, anime, ep): n for scope, anime, ep, n in rows}
    for key, users in viewers.items():
        assert actual[key] == len(users), key
    assert all(n == 0 for key, n in actual.items() if key not in viewers)
