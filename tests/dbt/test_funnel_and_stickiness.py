"""title_funnel, title_completion, daily_active_users and active_days_distribution against pandas.

Reach, finishers and active users are recomputed from raw.viewing_events and marts.episodes, not
from any model; the funnel's probabilities and flags from retention_by_episode's columns with the
formulas title_funnel.sql documents (its Kaplan-Meier survival is checked in test_retention_km.py).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from tests.tables import query_rows

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project" / "dbt_project.yml"
HOOK_SHARE = float(yaml.safe_load(PROJECT.read_text())["vars"]["hook_finish_share"])
TOLERANCE = 1e-9


def _close(got: Any, expected: Any, tolerance: float = TOLERANCE) -> bool:
    """Both missing (None / NaN), or within `tolerance` (relative, absolute near zero)."""
    if got is None or expected is None or pd.isna(got) or pd.isna(expected):
        return (got is None or pd.isna(got)) and (expected is None or pd.isna(expected))
    return abs(got - expected) <= tolerance * max(1.0, abs(expected))


def _plays(db: Path) -> pd.DataFrame:
    rows = query_rows(db, "select user_id, anime_id, episode_number, started_at from raw.viewing_events")
    plays = pd.DataFrame(rows, columns=["user_id", "anime_id", "episode_number", "started_at"])
    plays["started_at"] = pd.to_datetime(plays["started_at"])
    return plays


def _last_episodes(db: Path) -> dict[str, int]:
    return dict(query_rows(db, "select anime_id, max(episode_number) from marts.episodes group by 1"))


def _user_days(db: Path) -> pd.DataFrame:
    """Distinct (user, day of a play start): the unit every activity metric counts."""
    plays = _plays(db)
    plays["day"] = plays["started_at"].dt.normalize()
    return plays[["user_id", "day"]].drop_duplicates()


def test_reach_and_finishers_match_the_plays(engagement_warehouse: Path) -> None:
    plays, last = _plays(engagement_warehouse), _last_episodes(engagement_warehouse)
    keys = ["user_id", "anime_id"]
    user_titles = plays.groupby(keys).agg(
        deepest=("episode_number", "max"), first_played=("started_at", "min")
    )
    # a finisher played the title's last episode (max episode_number in marts.episodes)
    last_plays = plays[plays["episode_number"] == plays["anime_id"].map(last)]
    user_titles["first_finished"] = last_plays.groupby(keys)["started_at"].min()
    user_titles = user_titles.reset_index()

    expected_funnel: dict[tuple[str, int], tuple[int, int, float, float | None]] = {}
    expected_titles: dict[str, tuple[int, int, int, float]] = {}
    for key, group in user_titles.groupby("anime_id"):
        anime = str(key)
        if last[anime] < 2:  # the funnel holds titles of two episodes or more
            continue
        deepest = int(group["deepest"].max())
        reached = {k: int((group["deepest"] >= k).sum()) for k in range(1, deepest + 2)}
        for k in range(1, min(deepest, last[anime]) + 1):
            step = reached[k + 1] / reached[k] if k < deepest else None
            expected_funnel[(anime, k)] = (last[anime], reached[k], reached[k] / reached[1], step)
        finishers = group.dropna(subset=["first_finished"])
        days = (finishers["first_finished"] - finishers["first_played"]).dt.total_seconds() / 86400
        expected_titles[anime] = (last[anime], len(group), len(finishers), days.median())

    funnel = query_rows(
        engagement_warehouse,
        "select anime_id, episode_number, episodes_total, viewers_reached, reach_share, step_retention"
        " from marts.title_funnel",
    )
    assert {(r[0], r[1]) for r in funnel} == set(expected_funnel)
    for anime, k, total, reached, share, step in funnel:
        want = expected_funnel[(anime, k)]
        assert (total, reached) == want[:2], (anime, k)
        assert _close(share, want[2]) and _close(step, want[3]), (anime, k, share, step, want)

    completion = query_rows(
        engagement_warehouse,
        "select anime_id, episodes_total, viewers, finishers, median_days_to_finish"
        " from marts.title_completion",
    )
    assert {r[0] for r in completion} == set(expected_titles)
    for anime, total, viewers, finishers, median in completion:
        want = expected_titles[anime]
        assert (total, viewers, finishers) == want[:3], anime
        assert _close(median, want[3]), (anime, median, want[3])
    # the fixture has titles nobody finished and finisher counts of both parities (the median
    # of an even count is halfway between the middle two)
    counts = [want[2] for want in expected_titles.values()]
    assert 0 in counts and any(c % 2 == 1 for c in counts) and any(c > 0 and c % 2 == 0 for c in counts)


def _finish_probability(survival: dict[int, float], k: int, last: int) -> tuple[float | None, str]:
    """S(L - 1) / S(k - 1) with title_funnel.sql's special cases; also which case applied."""
    if k >= last:
        return None, "last episode"
    before = survival[k - 1]
    if before == 0:
        return None, "nobody went past k - 1"
    if last - 1 not in survival:  # nobody has gone past an episode before L - 1 yet
        if min(survival.values()) == 0:
            return 0.0, "everyone observed stopped"
        return None, "all still watching"
    # the ratio is at most 1 (the SQL caps a ratio above 1 from the last bit of exp(sum of logs))
    return min(1.0, survival[last - 1] / before), "ratio"


def test_finish_probability_hook_and_hot_spots_follow_the_documented_rules(
    engagement_warehouse: Path,
) -> None:
    last = _last_episodes(engagement_warehouse)
    retention = query_rows(
        engagement_warehouse,
        "select anime_id, episode_number, step_retention, step_retention_ci_upper, km_survival"
        " from marts.retention_by_episode where scope = 'title'",
    )
    by_title: dict[str, dict[int, tuple[float | None, float | None, float]]] = {}
    for anime, k, step, upper, survival in retention:
        by_title.setdefault(anime, {})[k] = (step, upper, survival)

    expected: dict[tuple[str, int], tuple[float | None, float | None, bool]] = {}
    hooks: dict[str, int | None] = {}
    cases: Counter[str] = Counter()
    for anime, all_rows in by_title.items():
        if last[anime] < 2:
            continue
        rows = {k: row for k, row in all_rows.items() if k <= last[anime]}  # the funnel stops at L
        survival = {0: 1.0} | {k: row[2] for k, row in rows.items()}  # S(0) = 1
        steps = {k: row[0] for k, row in rows.items()}
        hooks[anime] = None
        for k in sorted(rows):
            finish, case = _finish_probability(survival, k, last[anime])
            cases[case] += 1
            # the hook: the first episode before L whose finish probability reaches the share
            if hooks[anime] is None and finish is not None and finish >= HOOK_SHARE:
                hooks[anime] = k
            before, after = steps.get(k - 1), steps.get(k + 1)
            neighbour = None if before is None or after is None else (before + after) / 2
            upper = rows[k][1]
            hot = upper is not None and neighbour is not None and upper < neighbour
            expected[(anime, k)] = (finish, neighbour, hot)

    funnel = query_rows(
        engagement_warehouse,
        "select anime_id, episode_number, finish_probability, neighbour_step_retention,"
        " is_hook_episode, is_drop_off_hot_spot from marts.title_funnel",
    )
    assert {(r[0], r[1]) for r in funnel} == set(expected)
    for anime, k, finish, neighbour, is_hook, is_hot in funnel:
        want = expected[(anime, k)]
        assert _close(finish, want[0]), (anime, k, finish, want[0])
        assert _close(neighbour, want[1]), (anime, k, neighbour, want[1])
        assert (is_hook, is_hot) == (k == hooks[anime], want[2]), (anime, k, is_hook, is_hot)

    completion = query_rows(
        engagement_warehouse,
        "select anime_id, hook_episode_number, drop_off_hot_spots from marts.title_completion",
    )
    hot_spots = Counter(anime for (anime, _), want in expected.items() if want[2])
    assert {r[0]: r[1:] for r in completion} == {a: (hooks[a], hot_spots[a]) for a in hooks}
    # the fixture exercises hooks, titles without one, hot spots and the 0 / null cases
    assert sum(h is not None for h in hooks.values()) > 0 and None in hooks.values()
    assert sum(hot_spots.values()) > 0
    for case in ("last episode", "nobody went past k - 1", "everyone observed stopped", "ratio"):
        assert cases[case] > 0, (case, cases)


def test_daily_weekly_and_monthly_active_users_match_the_user_days(engagement_warehouse: Path) -> None:
    user_days = _user_days(engagement_warehouse)
    first, last = user_days["day"].min(), user_days["day"].max()
    expected = {}
    for day in pd.date_range(first, last, freq="D"):
        # users with a play on any of the `window` days ending on `day`
        active = {
            window: user_days.loc[
                (user_days["day"] > day - pd.Timedelta(days=window)) & (user_days["day"] <= day), "user_id"
            ].nunique()
            for window in (1, 7, 30)
        }
        complete = day - pd.Timedelta(days=29) >= first  # the 30 days ending `day` lie in the log
        expected[day.date()] = (active[1], active[7], active[30], complete)

    rows = query_rows(
        engagement_warehouse,
        "select active_on, daily_active_users, weekly_active_users, monthly_active_users,"
        " is_mau_complete, dau_over_mau from marts.daily_active_users",
    )
    assert {r[0]: r[1:5] for r in rows} == expected
    for day, dau, _, mau, _, ratio in rows:
        assert _close(ratio, dau / mau if mau else None, 1e-12), (day, ratio)
    # the windows matter: some day has users in its month but not its week, and in its week but not on it
    assert any(w[0] < w[1] < w[2] for w in expected.values())


def test_active_days_distribution_counts_whole_periods(engagement_warehouse: Path) -> None:
    user_days = _user_days(engagement_warehouse)
    first, last = user_days["day"].min(), user_days["day"].max()
    expected: dict[tuple[str, int], tuple[int, float]] = {}
    n_partial = {}
    for grain in ("week", "month"):
        if grain == "week":  # ISO weeks start on Monday
            starts = user_days["day"] - pd.to_timedelta(user_days["day"].dt.day_of_week, unit="D")
            ends = starts + pd.Timedelta(days=7)
        else:
            starts = user_days["day"].dt.to_period("M").dt.start_time
            ends = starts + pd.DateOffset(months=1)
        # only periods wholly inside the log: they start on or after its first day and end by its last
        whole = (starts >= first) & (ends <= last + pd.Timedelta(days=1))
        n_partial[grain] = int((~whole).sum())
        per_period = user_days[whole].groupby([user_days["user_id"][whole], starts[whole]]).size()
        distribution = per_period.value_counts()
        for active_days, n in distribution.items():
            expected[(grain, int(active_days))] = (int(n), n / distribution.sum())

    rows = query_rows(
        engagement_warehouse,
        "select period_grain, active_days, user_periods, share_of_user_periods"
        " from marts.active_days_distribution",
    )
    assert {(g, d): n for g, d, n, _ in rows} == {key: want[0] for key, want in expected.items()}
    for grain, days, _, share in rows:
        assert _close(share, expected[(grain, days)][1], 1e-12), (grain, days, share)
    # the whole-period rule drops something (the log's last, partial month)
    assert n_partial["month"] > 0
