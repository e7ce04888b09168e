"""Do two models differ on the same test items? A paired bootstrap, with Williams' test alongside.

The paired bootstrap draws the same resampled items for both models and looks at the difference
of their metric; it assumes no distribution and works for SRCC (with ties) as for PLCC. Williams'
t-test (Williams 1959, Steiger 1980 eq. 7) compares two correlations that share one variable (the
MOS); it assumes bivariate normality, which holds for PLCC at best and only approximately for
SRCC (where it is applied to ranks). The bootstrap decides; Williams' p is reported for comparison
with papers that use it.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats

from moslab_science.metrics.bootstrap import Interval, percentile_interval, resample_indices, rowwise_pearson
from moslab_science.metrics.correlations import checked_pair, pearson, require_variation
from moslab_science.metrics.errors import MetricsInputError

PAIRED_METRICS = ("srcc", "plcc")
DEFAULT_PAIRED_RESAMPLES = 2000


@dataclass(frozen=True)
class PairedComparison:
    metric: str
    n: int
    a: float
    b: float
    difference: float
    ci95: Interval
    p_bootstrap: float
    williams_t: float
    p_williams: float
    resamples: int
    seed: int

    def as_dict(self) -> dict[str, object]:
        return {
            "metric": self.metric,
            "n": self.n,
            "a": self.a,
            "b": self.b,
            "difference": self.difference,
            "ci95": self.ci95.as_dict(),
            "p_bootstrap": self.p_bootstrap,
            "williams_t": self.williams_t,
            "p_williams": self.p_williams,
            "test": "paired bootstrap (percentile), Williams t for dependent correlations alongside",
            "resamples": self.resamples,
            "seed": self.seed,
        }


def williams_test(r_a: float, r_b: float, r_ab: float, n: int) -> tuple[float, float]:
    """Williams' t (df = n - 3) and its two-sided p for corr(a, mos) = r_a vs corr(b, mos) = r_b."""
    if n < 4:
        raise MetricsInputError(f"Williams' test needs at least 4 items; got {n}")
    k = 1 - r_a**2 - r_b**2 - r_ab**2 + 2 * r_a * r_b * r_ab
    denominator = 2 * k * (n - 1) / (n - 3) + ((r_a + r_b) ** 2 / 4) * (1 - r_ab) ** 3
    if denominator <= 0:  # a and b are the same ranking (r_ab = 1): no difference to test
        return 0.0, 1.0
    t = (r_a - r_b) * np.sqrt((n - 1) * (1 + r_ab) / denominator)
    return float(t), float(2 * stats.t.sf(abs(t), df=n - 3))


def compare_models(
    predictions_a,
    predictions_b,
    mos,
    *,
    metric: str = "srcc",
    resamples: int = DEFAULT_PAIRED_RESAMPLES,
    seed: int = 0,
) -> PairedComparison:
    """Compare model a with model b on the same items; ``difference`` is metric(a) - metric(b).

    ``p_bootstrap`` is two-sided: twice the smaller share of resampled differences on either side
    of 0 (the smallest level at which the percentile interval excludes 0), between 1/resamples and 1:
    no finite bootstrap can show a smaller p.
    """
    if metric not in PAIRED_METRICS:
        raise MetricsInputError(f"unknown metric {metric!r} for a paired test; choose from {PAIRED_METRICS}")
    a, target = checked_pair(predictions_a, mos)
    b, _ = checked_pair(predictions_b, mos)
    require_variation(a, target)
    require_variation(b, target)
    prepare = stats.rankdata if metric == "srcc" else np.asarray
    a_values, b_values, mos_values = prepare(a), prepare(b), prepare(target)
    r_a, r_b = pearson(a_values, mos_values), pearson(b_values, mos_values)
    r_ab = pearson(a_values, b_values)
    t, p_williams = williams_test(r_a, r_b, r_ab, a.size)
    differences = _resampled_differences(a, b, target, metric=metric, resamples=resamples, seed=seed)
    tail = min(np.mean(differences <= 0), np.mean(differences >= 0))
    p_bootstrap = min(1.0, max(2 * tail, 1 / differences.size))
    return PairedComparison(
        metric=metric,
        n=a.size,
        a=r_a,
        b=r_b,
        difference=r_a - r_b,
        ci95=percentile_interval(differences),
        p_bootstrap=float(p_bootstrap),
        williams_t=t,
        p_williams=p_williams,
        resamples=differences.size,
        seed=seed,
    )


def _resampled_differences(
    a: np.ndarray, b: np.ndarray, mos: np.ndarray, *, metric: str, resamples: int, seed: int
) -> np.ndarray:
    indices = resample_indices(mos.size, resamples=resamples, seed=seed)
    keep = (np.ptp(a[indices], axis=1) > 0) & (np.ptp(b[indices], axis=1) > 0) & (np.ptp(mos[indices], axis=1) > 0)
    indices = indices[keep]
    if indices.shape[0] < 2:
        raise MetricsInputError("too few usable resamples for a paired bootstrap; the test set is too small")
    x, y, m = a[indices], b[indices], mos[indices]
    if metric == "srcc":
        x, y, m = (stats.rankdata(v, axis=1) for v in (x, y, m))
    return rowwise_pearson(x, m) - rowwise_pearson(y, m)
