"""The dashboard's arithmetic against hand-worked figures: the Compare page's two-proportion test
and the KPI cards' compact counts."""

from __future__ import annotations

import math

import pytest

from dashboard import stats, ui


def test_two_proportions_by_hand() -> None:
    # 60 of 100 against 45 of 100: pooled p = 0.525, se = sqrt(0.525 * 0.475 * (2 / 100)) = 0.0706222,
    # z = 0.15 / se = 2.12398, two-sided p = erfc(z / sqrt 2) = 0.0336721;
    # unpooled se of the difference sqrt(0.0024 + 0.002475) = 0.0698212, half-width 1.96 * se
    result = stats.compare_proportions(60, 100, 45, 100)
    z = 0.15 / math.sqrt(0.525 * 0.475 * 0.02)
    assert result.p_value == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-9)
    assert result.p_value == pytest.approx(0.0336721, abs=1e-6)
    assert (result.rate_a, result.rate_b, result.difference) == pytest.approx((0.6, 0.45, 0.15))
    assert (result.ci_lower, result.ci_upper) == pytest.approx((0.0131504, 0.2868496), abs=1e-6)


def test_equal_rates_are_no_evidence() -> None:
    assert stats.compare_proportions(30, 60, 50, 100).p_value == pytest.approx(1.0)
    # nobody dropped in either title: nothing to test, not a division by zero
    assert stats.compare_proportions(10, 10, 5, 5).p_value == 1.0
    with pytest.raises(ValueError, match="at least one user"):
        stats.compare_proportions(0, 0, 1, 2)


def test_bonferroni_threshold_divides_by_the_pairs() -> None:
    assert stats.bonferroni_threshold(2) == pytest.approx(0.05)
    assert stats.bonferroni_threshold(5) == pytest.approx(0.005)  # 10 pairs
    assert stats.bonferroni_threshold(10, alpha=0.1) == pytest.approx(0.1 / 45)


def test_compact_counts_fit_a_kpi_card() -> None:
    cases = {
        987: "987",
        9_876: "9,876",
        10_000: "10k",
        98_765: "98.8k",
        354_123: "354k",
        999_499: "999k",
        999_500: "1M",
        1_086_959: "1.09M",
        23_456_789: "23.5M",
    }
    assert {value: ui.fmt_compact(value) for value in cases} == cases
    assert ui.fmt_compact(None) == "–"
    # five characters at most from 0 to 999 billion (what fits a card six to a row at 1280 px)
    assert max(len(ui.fmt_compact(10 ** (k / 8))) for k in range(0, 96)) <= 5
    assert max(len(ui.fmt_compact(value)) for value in (9_999, 99_949, 99_950, 999_999_999)) <= 5
