"""marts.cohort_survival against a plain-Python Kaplan-Meier over the cleaned log.

Independent of the SQL: it starts from marts.viewing_events (the plays the marts count), applies
the mart's stated rule (a user has left once churn_quiet_days = 14 quiet days follow their last
play within the window; otherwise censored at it) and computes survival and the Greenwood band.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

QUIET_DAYS = 14  # dbt var churn_quiet_days


def kaplan_meier(lifetimes: list[tuple[int, bool]]) -> dict[int, tuple[int, int, int, float, float, float]]:
    """lifetimes: (days from first to last play, has left). Returns t -> (at_risk, left, censored,
    survival, lower, upper) for t = 0 .. the longest lifetime."""
    survival, greenwood, out = 1.0, 0.0, {}
    for t in range(max(days for days, _ in lifetimes) + 1):
        at_risk = sum(1 for days, _ in lifetimes if days >= t)
        left = sum(1 for days, has_left in lifetimes if days == t and has_left)
        censored = sum(1 for days, has_left in lifetimes if days == t and not has_left)
        survival *= 1 - left / at_risk
        if left < at_risk:
            greenwood += left / (at_risk * (at_risk - left))
        half = 1.96 * survival * math.sqrt(greenwood)
        out[t] = (at_risk, left, censored, survival, max(0.0, survival - half), min(1.0, survival + half))
    return out


def test_cohort_survival_is_kaplan_meier_with_censoring(engagement_warehouse: Path) -> None:
    con = duckdb.connect(str(engagement_warehouse), read_only=True)
    try:
        plays = con.execute("select user_id, started_at from marts.viewing_events").fetchall()
        built = con.execute(
            "select cohort_grain, cohort_started_on, day_number, at_risk, users_left, censored,"
            " km_survival, km_ci_lower, km_ci_upper from marts.cohort_survival"
        ).fetchall()
    finally:
        con.close()
    last_observed = max(started for _, started in plays).date()
    days: dict[int, set[date]] = defaultdict(set)
    for user_id, started in plays:
        days[user_id].add(started.date())
    cohorts: dict[tuple[str, date], list[tuple[int, bool]]] = defaultdict(list)
    for active in days.values():
        first, last = min(active), max(active)
        lifetime = ((last - first).days, (last_observed - last).days >= QUIET_DAYS)
        cohorts[("day", first)].append(lifetime)
        cohorts[("week", first - timedelta(days=first.weekday()))].append(lifetime)
    expected = {
        (grain, start, t): row
        for (grain, start), lifetimes in cohorts.items()
        for t, row in kaplan_meier(lifetimes).items()
    }
    # the fixture reaches both outcomes, in more than one cohort
    assert sum(row[1] for row in expected.values()) > 0 and sum(row[2] for row in expected.values()) > 0
    assert len(cohorts) > 2
    assert {row[:3] for row in built} == set(expected)
    for grain, start, t, at_risk, left, censored, survival, lower, upper in built:
        want = expected[(grain, start, t)]
        assert (at_risk, left, censored) == want[:3], (grain, start, t)
        assert (survival, lower, upper) == pytest.approx(want[3:], rel=1e-12, abs=1e-12), (grain, start, t)
