"""Correlation-based subject screening (ITU-T P.913 / P.910 and ITU-R BT.1788 style).

Each subject's per-stimulus score (mean over repetitions) is correlated, over the stimuli
it rated, with a reference MOS: the MOS of the *other* subjects (``reference="others"``,
the default: a subject does not vouch for itself) or of everyone (``reference="all"``,
what sureal's git head does). Pearson and Spearman are both reported; ``statistic``
picks the one that decides. ``threshold="adaptive"`` (the default) is sureal's git head
rule, ``min(0.7, mean(r) - std(r))`` over the subjects, rejecting ``r <= threshold``: it
only removes subjects clearly worse than their panel. It needs three defined
correlations (with two, ``mean - std`` is simply the smaller one) and rejects no one
with fewer. A fixed ``threshold`` rejects
``r < threshold``; 0.75 (``P913_THRESHOLD``) is the limit P.913 and BT.1788 give for the
Pearson r1 of lab studies, which rejects most of a noisy crowd or AIGC panel.
"""

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from moslab_science.mos.arrays import columnwise_pearson, nan_mean, safe_divide
from moslab_science.mos.errors import MosInputError

Reference = Literal["others", "all"]
Statistic = Literal["pearson", "spearman"]
P913_THRESHOLD = 0.75
ADAPTIVE_CEILING = 0.7
#: A correlation within rounding of the adaptive threshold counts as on it (rejected).
TIE_TOLERANCE = 1e-12


@dataclass(frozen=True, eq=False)
class SubjectCorrelations:
    """Pearson and Spearman of each subject with the reference MOS, and how many stimuli they share."""

    pearson: np.ndarray
    spearman: np.ndarray
    n_common: np.ndarray


@dataclass(frozen=True, eq=False)
class CorrelationScreening:
    rejected: np.ndarray
    correlations: SubjectCorrelations
    statistic: Statistic
    threshold: float
    reasons: tuple[str, ...]


def subject_correlations(scores: np.ndarray, *, reference: Reference = "others") -> SubjectCorrelations:
    """Correlation of every subject with the reference MOS; NaN where fewer than 3 shared stimuli
    or where either side does not vary."""
    if reference not in ("others", "all"):
        raise MosInputError(f"unknown reference {reference!r}; choose 'others' or 'all'.")
    per_cell = nan_mean(scores, axis=2)  # (stimuli, subjects): mean over repetitions
    present = ~np.isnan(per_cell)
    if reference == "all":
        mos = nan_mean(per_cell, axis=1)
        target = np.broadcast_to(mos[:, None], per_cell.shape)
    else:
        totals = np.nansum(per_cell, axis=1)[:, None] - np.where(present, per_cell, 0.0)
        target = safe_divide(totals, present.sum(axis=1)[:, None] - present)
    both = present & ~np.isnan(target)
    x = np.where(both, per_cell, np.nan)
    y = np.where(both, target, np.nan)
    ranks_x = stats.rankdata(x, axis=0, nan_policy="omit")
    ranks_y = stats.rankdata(y, axis=0, nan_policy="omit")
    n_common = both.sum(axis=0)
    return SubjectCorrelations(
        pearson=columnwise_pearson(x, y, n_common),
        spearman=columnwise_pearson(ranks_x, ranks_y, n_common),
        n_common=n_common,
    )


def correlation_screen(
    scores: np.ndarray,
    *,
    statistic: Statistic = "pearson",
    reference: Reference = "others",
    threshold: float | Literal["adaptive"] = "adaptive",
) -> CorrelationScreening:
    """Reject subjects whose correlation with the reference MOS falls below the threshold.

    A subject whose correlation is undefined (fewer than 3 shared stimuli, or constant
    votes) is kept, and its reason says so.
    """
    if statistic not in ("pearson", "spearman"):
        raise MosInputError(f"unknown statistic {statistic!r}; choose 'pearson' or 'spearman'.")
    correlations = subject_correlations(scores, reference=reference)
    r = correlations.pearson if statistic == "pearson" else correlations.spearman
    if threshold == "adaptive":
        defined = r[~np.isnan(r)]
        limit = min(ADAPTIVE_CEILING, float(np.mean(defined) - np.std(defined))) if defined.size >= 3 else np.nan
        rejected = r <= limit + TIE_TOLERANCE
    elif isinstance(threshold, int | float) and -1.0 <= threshold <= 1.0:
        limit = float(threshold)
        rejected = r < limit
    else:
        raise MosInputError(f"threshold must be a correlation in [-1, 1] or 'adaptive'; got {threshold!r}.")
    reasons = tuple(
        _reason(statistic, value, out, n, limit)
        for value, out, n in zip(r, rejected, correlations.n_common, strict=True)
    )
    return CorrelationScreening(rejected, correlations, statistic, limit, reasons)


def _reason(statistic: str, r: float, rejected: bool, shared: int, limit: float) -> str:
    if np.isnan(r):
        return f"kept: {statistic} undefined ({shared} shared stimuli, or votes that do not vary)"
    if np.isnan(limit):
        return f"kept: {statistic} r = {r:.3f}; fewer than 3 subjects have a correlation, no adaptive threshold"
    verdict, relation = ("rejected", "below") if rejected else ("kept", "not below")
    return f"{verdict}: {statistic} r = {r:.3f} {relation} {limit:.3f}"
