"""Significance of a difference the dashboard shows: two proportions from two groups of users."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import chi2_contingency

Z_95 = 1.96  # the marts' intervals use the same


@dataclass(frozen=True)
class ProportionComparison:
    rate_a: float
    rate_b: float
    difference: float  # rate_a - rate_b
    ci_lower: float  # 95% interval of the difference (unpooled normal approximation)
    ci_upper: float
    p_value: float  # two-sided, two-proportion z-test (pooled)


def compare_proportions(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int
) -> ProportionComparison:
    """A two-proportion z-test of successes_a / trials_a against successes_b / trials_b.

    The p-value is the chi-square test of the 2 x 2 table without continuity correction, which is
    the pooled z-test squared. When neither group has a failure (or a success) the rates are equal
    and there is nothing to test: p = 1.
    """
    if min(trials_a, trials_b) <= 0:
        raise ValueError("both groups need at least one user")
    rate_a, rate_b = successes_a / trials_a, successes_b / trials_b
    table = [[successes_a, trials_a - successes_a], [successes_b, trials_b - successes_b]]
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    p_value = 1.0 if pooled in (0.0, 1.0) else float(chi2_contingency(table, correction=False).pvalue)
    half = Z_95 * math.sqrt(rate_a * (1 - rate_a) / trials_a + rate_b * (1 - rate_b) / trials_b)
    difference = rate_a - rate_b
    return ProportionComparison(rate_a, rate_b, difference, difference - half, difference + half, p_value)


def bonferroni_threshold(n_compared: int, alpha: float = 0.05) -> float:
    """The per-pair p-value threshold that keeps the chance of any false alarm among all pairs of
    `n_compared` items at `alpha`."""
    pairs = max(1, n_compared * (n_compared - 1) // 2)
    return alpha / pairs
