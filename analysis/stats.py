"""Small statistics for the report: the paired t-test and the Student-t distribution.

paired_t(diffs) -> PairedT(n, mean, std, t, p). The two-sided p-value comes from scipy when it
is installed, else from a Student-t CDF built on the regularised incomplete beta function
(continued fraction, modified Lentz), accurate to ~1e-12 for the sizes a grid produces.
"""
import math
from dataclasses import dataclass

import numpy as np


def _betacf(a, b, x):
    """Continued fraction for the regularised incomplete beta I_x(a, b)."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 1000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def betainc(a, b, x):
    """Regularised incomplete beta function I_x(a, b) for a, b > 0, 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(lbeta + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_two_sided_p(t, df):
    """P(|T| >= |t|) for Student's t with df degrees of freedom."""
    if math.isnan(t):
        return float("nan")
    if math.isinf(t):
        return 0.0
    try:
        from scipy import stats as sps
        return float(2.0 * sps.t.sf(abs(t), df))
    except ImportError:
        return betainc(df / 2.0, 0.5, df / (df + t * t))


@dataclass
class PairedT:
    n: int
    mean: float
    std: float      # sample std of the differences (ddof=1); nan when n < 2
    t: float        # mean / (std / sqrt(n)); nan when n < 2, +-inf when std == 0 != mean
    p: float        # two-sided; nan when n < 2

    @property
    def testable(self):
        return self.n >= 2


def paired_t(diffs):
    """Paired t-test on the differences (one per seed)."""
    d = np.asarray([x for x in diffs if not math.isnan(x)], dtype=float)
    n = len(d)
    if n == 0:
        return PairedT(0, float("nan"), float("nan"), float("nan"), float("nan"))
    mean = float(d.mean())
    if n < 2:
        return PairedT(n, mean, float("nan"), float("nan"), float("nan"))
    std = float(d.std(ddof=1))
    if std == 0.0:
        t = 0.0 if mean == 0.0 else math.copysign(math.inf, mean)
        p = 1.0 if mean == 0.0 else 0.0
        return PairedT(n, mean, std, t, p)
    t = mean / (std / math.sqrt(n))
    return PairedT(n, mean, std, t, t_two_sided_p(t, n - 1))
