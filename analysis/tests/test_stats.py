"""stats.py: the paired t-test and the scipy-free Student-t p-value, against closed forms."""
import math

import pytest

import stats


def test_paired_t_matches_hand_computation():
    # d = 0.08, 0.09, 0.09: mean 0.08667, sample std 0.0057735, t = mean / (std / sqrt 3) = 26.
    pt = stats.paired_t([0.08, 0.09, 0.09])
    assert pt.n == 3
    assert pt.mean == pytest.approx(0.26 / 3, abs=1e-12)
    assert pt.std == pytest.approx(math.sqrt(1e-4 / 3), abs=1e-12)
    assert pt.t == pytest.approx(26.0, rel=1e-9)
    # Student t with 2 degrees of freedom: P(|T| >= t) = 1 - t / sqrt(t^2 + 2).
    assert pt.p == pytest.approx(1 - 26 / math.sqrt(678), rel=1e-9)


@pytest.mark.parametrize("t", [0.3, 1.0, 2.5, 26.0])
def test_incomplete_beta_fallback_matches_closed_forms(t):
    # df = 1 (Cauchy): p = 1 - 2 atan(t) / pi; df = 2: p = 1 - t / sqrt(t^2 + 2).
    p1 = stats.betainc(0.5, 0.5, 1 / (1 + t * t))
    p2 = stats.betainc(1.0, 0.5, 2 / (2 + t * t))
    assert p1 == pytest.approx(1 - 2 * math.atan(t) / math.pi, rel=1e-10, abs=1e-14)
    assert p2 == pytest.approx(1 - t / math.sqrt(t * t + 2), rel=1e-10, abs=1e-14)


def test_fallback_agrees_with_t_two_sided_p():
    for df in (3, 7, 20):
        for t in (0.5, 2.0, 4.0):
            assert stats.betainc(df / 2, 0.5, df / (df + t * t)) == pytest.approx(
                stats.t_two_sided_p(t, df), rel=1e-8)


def test_one_difference_is_not_testable():
    pt = stats.paired_t([0.05])
    assert pt.n == 1 and not pt.testable
    assert pt.mean == pytest.approx(0.05)
    assert math.isnan(pt.t) and math.isnan(pt.p)


def test_constant_differences_give_infinite_t():
    pt = stats.paired_t([0.25, 0.25, 0.25])  # exact in binary
    assert pt.std == 0.0 and math.isinf(pt.t) and pt.p == 0.0
