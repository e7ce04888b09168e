"""Inter-rater agreement of a score array (stimuli, subjects, repetitions), NaN = missing."""

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from moslab_science.mos.arrays import columnwise_pearson, nan_mean, safe_divide, votes_by_stimulus
from moslab_science.mos.errors import MosInputError
from moslab_science.mos.screening_correlation import SubjectCorrelations, subject_correlations


@dataclass(frozen=True)
class Icc:
    """Two-way random-effects, absolute-agreement ICCs (Shrout & Fleiss 1979)."""

    icc2_1: float
    icc2_k: float
    n_stimuli: int
    n_raters: int


@dataclass(frozen=True)
class SplitHalf:
    """SRCC between the MOS of two random halves of the raters, over ``n_splits`` splits."""

    srcc_mean: float
    srcc_corrected_mean: float
    srcc_corrected_std: float
    n_splits: int
    seed: int


def krippendorff_alpha(scores: np.ndarray, *, metric: Literal["interval", "ordinal"] = "interval") -> float:
    """Krippendorff's alpha with every vote on a stimulus as one value of that unit.

    ``alpha = 1 - D_o / D_e`` over the pairable values (stimuli with at least two votes).
    Interval: ``delta = (a - b)^2``, so ``D_o / D_e = (n - 1) sum_u m_u SS_u / (m_u - 1) / (n SS)``
    with ``m_u`` votes and sum of squares ``SS_u`` in unit ``u``, ``n`` pairable values and
    ``SS`` their total sum of squares. Ordinal: Krippendorff's rank distance equals the
    interval distance between mid-ranks, so the same formula runs on the mid-ranks of the
    pairable values.
    """
    votes = votes_by_stimulus(scores)
    pairable = np.sum(~np.isnan(votes), axis=1) >= 2
    votes = votes[pairable]
    if metric == "ordinal":
        flat = votes[~np.isnan(votes)]
        ranked = np.full(votes.shape, np.nan)
        ranked[~np.isnan(votes)] = stats.rankdata(flat)
        votes = ranked
    elif metric != "interval":
        raise MosInputError(f"unknown metric {metric!r}; choose 'interval' or 'ordinal'.")
    m = np.sum(~np.isnan(votes), axis=1)
    n = int(m.sum())
    if n < 2:
        raise MosInputError("Krippendorff's alpha needs at least one stimulus with two votes.")
    within = np.nansum((votes - nan_mean(votes, axis=1)[:, None]) ** 2, axis=1)
    total = float(np.nansum((votes - np.nanmean(votes)) ** 2))
    if total == 0:
        return float("nan")
    return 1.0 - (n - 1) * float(np.sum(m * within / (m - 1))) / (n * total)


def icc2(scores: np.ndarray) -> Icc:
    """ICC(2,1) and ICC(2,k) over a complete stimuli x raters design (repetitions averaged).

    ``ICC(2,1) = (MSR - MSE) / (MSR + (k - 1) MSE + k (MSC - MSE) / n)`` and
    ``ICC(2,k) = (MSR - MSE) / (MSR + (MSC - MSE) / n)`` from the two-way ANOVA mean squares
    of stimuli (R), raters (C) and error (E), ``n`` stimuli and ``k`` raters.
    """
    cells = nan_mean(scores, axis=2)
    empty = int(np.isnan(cells).sum())
    if empty:
        raise MosInputError(
            f"ICC(2,1) needs every subject to rate every stimulus; {empty} of {cells.size} stimulus-subject "
            "cells are empty. Use krippendorff_alpha (it allows missing votes) or a complete block."
        )
    n, k = cells.shape
    if n < 2 or k < 2:
        raise MosInputError("ICC needs at least two stimuli and two raters.")
    grand = cells.mean()
    ss_rows = k * np.sum((cells.mean(axis=1) - grand) ** 2)
    ss_cols = n * np.sum((cells.mean(axis=0) - grand) ** 2)
    ss_error = np.sum((cells - grand) ** 2) - ss_rows - ss_cols
    ms_rows, ms_cols = ss_rows / (n - 1), ss_cols / (k - 1)
    ms_error = ss_error / ((n - 1) * (k - 1))
    return Icc(
        icc2_1=float(safe_divide(ms_rows - ms_error, ms_rows + (k - 1) * ms_error + k * (ms_cols - ms_error) / n)),
        icc2_k=float(safe_divide(ms_rows - ms_error, ms_rows + (ms_cols - ms_error) / n)),
        n_stimuli=n,
        n_raters=k,
    )


def split_half_reliability(scores: np.ndarray, *, n_splits: int = 100, seed: int = 0) -> SplitHalf:
    """Mean SRCC between the MOS of random rater halves, Spearman-Brown corrected: ``2r / (1 + r)``.

    Each split shuffles the subjects (``numpy.random.default_rng(seed)``), gives the first
    half to A and the rest to B, and correlates the two MOS over stimuli rated in both.
    """
    cells = nan_mean(scores, axis=2)
    n_subjects = cells.shape[1]
    if n_subjects < 2:
        raise MosInputError("split-half reliability needs at least two subjects.")
    rng = np.random.default_rng(seed)
    order = np.argsort(rng.random((n_splits, n_subjects)), axis=1)
    in_a = np.zeros((n_splits, n_subjects))
    np.put_along_axis(in_a, order[:, : n_subjects // 2], 1.0, axis=1)
    present = ~np.isnan(cells)
    filled = np.where(present, cells, 0.0)
    mos_a = safe_divide(filled @ in_a.T, present @ in_a.T)
    mos_b = safe_divide(filled @ (1.0 - in_a).T, present @ (1.0 - in_a).T)
    both = ~np.isnan(mos_a) & ~np.isnan(mos_b)
    ranks_a = stats.rankdata(np.where(both, mos_a, np.nan), axis=0, nan_policy="omit")
    ranks_b = stats.rankdata(np.where(both, mos_b, np.nan), axis=0, nan_policy="omit")
    srcc = columnwise_pearson(ranks_a, ranks_b, both.sum(axis=0))
    corrected = 2.0 * srcc / (1.0 + srcc)
    return SplitHalf(
        srcc_mean=float(np.nanmean(srcc)),
        srcc_corrected_mean=float(np.nanmean(corrected)),
        srcc_corrected_std=float(np.nanstd(corrected, ddof=1)),
        n_splits=n_splits,
        seed=seed,
    )


def rater_vs_rest(scores: np.ndarray) -> SubjectCorrelations:
    """Pearson and Spearman of each rater with the MOS of all the other raters."""
    return subject_correlations(scores, reference="others")


def sos_parameter(mos: np.ndarray, sos: np.ndarray, scale: tuple[float, float]) -> float:
    """Hossfeld's SOS hypothesis parameter ``a`` in ``SOS^2 = a (-MOS^2 + (lo + hi) MOS - lo hi)``.

    Least squares in the SOS^2 domain, through the origin, over stimuli where both are
    defined: ``a = sum(SOS^2 f) / sum(f^2)`` with ``f = (MOS - lo)(hi - MOS)``.
    """
    lo, hi = scale
    usable = ~np.isnan(mos) & ~np.isnan(sos)
    f = (mos[usable] - lo) * (hi - mos[usable])
    denominator = float(np.sum(f**2))
    if denominator == 0:
        raise MosInputError("the SOS parameter needs stimuli whose MOS is strictly inside the scale.")
    return float(np.sum(sos[usable] ** 2 * f) / denominator)
