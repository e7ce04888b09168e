"""Plain MOS: mean, standard deviation and 95% confidence interval of each stimulus's votes."""

from dataclasses import dataclass

import numpy as np
from scipy import stats

from moslab_science.mos.arrays import nan_count, nan_mean, nan_std, votes_by_stimulus

#: Two-sided 95% normal quantile.
NORMAL_Z95 = float(stats.norm.ppf(0.975))
#: The rounded quantile sureal 0.9.0 multiplies standard errors with.
SUREAL_Z95 = 1.95996


@dataclass(frozen=True, eq=False)
class MosStats:
    """Per-stimulus statistics over all votes (all subjects and repetitions).

    ``ci95_normal = z * std / sqrt(n)`` and ``ci95_t = t(0.975, n - 1) * std / sqrt(n)``
    are half-widths; ``std`` has ddof = 1. Undefined values (n < 2 for std and CIs,
    n = 0 for the MOS) are NaN.
    """

    mos: np.ndarray
    std: np.ndarray
    n: np.ndarray
    ci95_normal: np.ndarray
    ci95_t: np.ndarray


def mos_stats(scores: np.ndarray, *, z: float = NORMAL_Z95) -> MosStats:
    """MOS statistics of a (stimuli, subjects, repetitions) array; ``z`` is the normal quantile."""
    votes = votes_by_stimulus(scores)
    n = nan_count(votes, axis=1)
    std = nan_std(votes, axis=1, ddof=1)
    standard_error = std / np.sqrt(np.maximum(n, 1))
    degrees, position = np.unique(np.maximum(n - 1, 1), return_inverse=True)  # few distinct counts
    t_quantile = stats.t.ppf(0.975, degrees)[position]
    return MosStats(
        mos=nan_mean(votes, axis=1),
        std=std,
        n=n,
        ci95_normal=z * standard_error,
        ci95_t=np.where(n >= 2, t_quantile * standard_error, np.nan),
    )
