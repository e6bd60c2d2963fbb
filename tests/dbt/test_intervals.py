"""The marts' 95% Wilson intervals (macros/intervals.sql) against a plain-Python computation.

The Python reference is the textbook centre +- half-width form, itself checked against SciPy's
Wilson interval; the marts' bounds must equal it to 1e-9 on every row of the fixture build.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from scipy.stats import binomtest, norm

from bench import bench_intervals
from tests.tables import query_rows

Z = 1.96  # the marts' z (the Kaplan-Meier bands use the same)
TOLERANCE = 1e-9


def wilson(successes: int, trials: int, z: float = Z) -> tuple[float, float]:
    """The Wilson score interval of successes / trials: centre +- half-width."""
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return centre - half, centre + half


def test_the_reference_is_scipys_wilson_interval() -> None:
    z = float(norm.ppf(0.975))
    for trials in (1, 2, 7, 10, 93, 1000):
        for successes in sorted({0, 1, trials // 3, trials - 1, trials}):
            ci = binomtest(successes, trials).proportion_ci(confidence_level=0.95, method="wilson")
            assert wilson(successes, trials, z) == pytest.approx((ci.low, ci.high), abs=TOLERANCE)


def test_a_hand_worked_interval() -> None:
    # 8 of 10: p = 0.8, z^2 = 3.8416; centre = (0.8 + 0.19208) / 1.38416 = 0.716738...,
    # half = 1.96 / 1.38416 * sqrt(0.016 + 0.009604) = 0.226581...
    assert wilson(8, 10) == pytest.approx((0.490156846720723, 0.943319052019307), abs=1e-12)


def assert_bounds(successes: int, trials: int, lower: float, upper: float) -> None:
    expected = wilson(successes, trials)
    # at 0 and 1 the mart writes the formula's exact value, 0 or 1
    expected = (0.0 if successes == 0 else expected[0], 1.0 if successes == trials else expected[1])
    assert (lower, upper) == pytest.approx(expected, rel=TOLERANCE, abs=TOLERANCE), (successes, trials)


def test_cohort_retention_intervals(engagement_warehouse: Path) -> None:
    cells = query_rows(
        engagement_warehouse,
        "select cohort_users, active_users, active_users_on_or_after, is_period_complete,"
        " retention_rate_ci_lower, retention_rate_ci_upper,"
        " retention_rate_on_or_after_ci_lower, retention_rate_on_or_after_ci_upper"
        " from marts.cohort_retention",
    )
    complete = [c for c in cells if c[3]]
    # the fixture reaches the cases that differ: rates strictly inside (0, 1), and 0 and 1
    assert any(0 < c[1] < c[0] for c in complete)
    assert any(c[1] == 0 for c in complete) and any(c[1] == c[0] for c in complete)
    for users, active, on_or_after, _, lower, upper, lower_after, upper_after in complete:
        assert_bounds(active, users, lower, upper)
        assert_bounds(on_or_after, users, lower_after, upper_after)
    # a period still in progress has no rate and no interval
    assert all(c[4:] == (None, None, None, None) for c in cells if not c[3])


def test_step_retention_intervals(engagement_warehouse: Path) -> None:
    steps = query_rows(
        engagement_warehouse,
        "select viewers_reached, lead(viewers_reached) over (partition by scope, anime_id"
        " order by episode_number), step_retention_ci_lower, step_retention_ci_upper"
        " from marts.retention_by_episode",
    )
    inside = [s for s in steps if s[1] is not None and 0 < s[1] < s[0]]
    assert inside, "the fixture has a step some viewers do not take"
    for reached, reached_next, lower, upper in steps:
        if reached_next is None:  # the last episode: no next step
            assert (lower, upper) == (None, None)
        else:
            assert_bounds(reached_next, reached, lower, upper)


def test_the_compiled_interval_covers_the_true_rate() -> None:
    """The macro as dbt compiles it, on 2,000 seeded cohorts per cell: 95% coverage within the
    draw's binomial noise (sd 0.5 points) and Wilson's own small departure from nominal."""
    table = bench_intervals.coverage(rates=(0.2, 0.5), sizes=(100, 1000), cohorts=2000, seed=19)
    assert len(table) == 4
    assert table["wilson_coverage"].between(0.925, 0.975).all(), table
