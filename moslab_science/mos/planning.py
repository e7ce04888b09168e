"""Study planning: how many raters each stimulus needs, and which stimuli get the next ratings.

The 95% CI half-width of a MOS from ``n`` votes with standard deviation ``s`` is
``t(0.975, n - 1) s / sqrt(n)`` (``interval="t"``) or ``1.96 s / sqrt(n)`` (``"normal"``);
it is infinite below two votes.
"""

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from moslab_science.mos.arrays import nan_std, votes_by_stimulus
from moslab_science.mos.errors import MosInputError
from moslab_science.mos.matrix import ScoreMatrix
from moslab_science.mos.stats import NORMAL_Z95

Interval = Literal["t", "normal"]


@dataclass(frozen=True, eq=False)
class Allocation:
    """The next ratings to collect, widest CI first.

    ``stimuli`` holds stimulus indices in the order to serve them (one entry per rating,
    a stimulus may repeat); ``counts_after`` and ``half_width_after`` are what every
    stimulus will have once they are collected; ``target_met`` says whether every
    stimulus then reaches the target.
    """

    stimuli: np.ndarray
    counts_after: np.ndarray
    half_width_after: np.ndarray
    target_met: bool


def ci_half_width(std: np.ndarray, n: np.ndarray, *, interval: Interval = "t") -> np.ndarray:
    std, n = np.broadcast_arrays(np.asarray(std, float), np.asarray(n))
    enough = n >= 2
    safe_n = np.where(enough, n, 2)
    quantile = stats.t.ppf(0.975, safe_n - 1) if interval == "t" else NORMAL_Z95
    return np.where(enough, quantile * (std / np.sqrt(safe_n)), np.inf)  # the order mos_stats uses: same bits


def raters_needed(std: np.ndarray, target_half_width: float, *, interval: Interval = "t") -> np.ndarray:
    """Smallest vote count (at least 2) whose CI half-width is at most the target; NaN where std is."""
    if not target_half_width > 0:
        raise MosInputError(f"the target half-width must be positive; got {target_half_width!r}.")
    std = np.asarray(std, float)
    known = ~np.isnan(std)
    s = np.where(known, std, 0.0)
    n = np.maximum(2, np.ceil((NORMAL_Z95 * s / target_half_width) ** 2)).astype(int)
    if interval == "t":  # t > z, so the normal count is a lower bound: step up where short
        short = ci_half_width(s, n) > target_half_width
        while short.any():
            n = n + short
            short = ci_half_width(s, n) > target_half_width
    return np.where(known, n, np.nan)


def allocate_ratings(
    counts: np.ndarray,
    std: np.ndarray,
    target_half_width: float,
    k: int,
    *,
    interval: Interval = "t",
    prior_std: float | None = None,
) -> Allocation:
    """Hand out up to ``k`` ratings, each to the stimulus with the widest CI, until all meet the target.

    A stimulus without a usable std (fewer than two votes) is planned with ``prior_std``,
    by default the median std of the others. Because each stimulus's half-width shrinks
    with every vote, the greedy order is the descending order of all (stimulus, next vote)
    half-widths, computed at once.
    """
    counts = np.asarray(counts, dtype=int)
    std = np.asarray(std, dtype=float)
    if k < 0:
        raise MosInputError(f"k must be zero or more; got {k}.")
    if prior_std is None:
        known = std[~np.isnan(std)]
        if known.size == 0:
            raise MosInputError("no stimulus has two votes yet: give prior_std, the std you expect per stimulus.")
        prior_std = float(np.median(known))
    planned_std = np.where(np.isnan(std), prior_std, std)
    extra = np.maximum(raters_needed(planned_std, target_half_width, interval=interval).astype(int) - counts, 0)
    stimulus = np.repeat(np.arange(counts.size), extra)
    step = np.arange(stimulus.size) - np.repeat(np.cumsum(extra) - extra, extra)
    width = ci_half_width(planned_std[stimulus], counts[stimulus] + step, interval=interval)
    order = np.lexsort((stimulus, step, -width))[:k]
    chosen = stimulus[order]
    after = counts + np.bincount(chosen, minlength=counts.size)
    return Allocation(
        stimuli=chosen,
        counts_after=after,
        half_width_after=ci_half_width(planned_std, after, interval=interval),
        target_met=bool(order.size == stimulus.size),
    )


def allocate_for_matrix(
    matrix: ScoreMatrix,
    *,
    target_half_width: float,
    k: int,
    interval: Interval = "t",
    prior_std: float | None = None,
) -> tuple[str, ...]:
    """Stimulus ids to serve the next ``k`` ratings to, from the votes collected so far."""
    votes = votes_by_stimulus(matrix.scores)
    allocation = allocate_ratings(
        matrix.votes_per_stimulus,
        nan_std(votes, axis=1, ddof=1),
        target_half_width,
        k,
        interval=interval,
        prior_std=prior_std,
    )
    return tuple(matrix.stimulus_ids[i] for i in allocation.stimuli)
