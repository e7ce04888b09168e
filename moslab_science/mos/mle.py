"""The MLE subject model (Li & Bampis 2017; sureal's MLE_CO; ITU-T P.910 Annex E).

Each vote is ``X_esr = x_e + B_esr`` with ``B_esr ~ N(b_s, v_s^2)``: ``x_e`` the quality
of stimulus ``e``, ``b_s`` the bias and ``v_s`` the inconsistency of subject ``s``. The
maximum-likelihood point satisfies, over the observed votes,

    b_s = mean_e,r (X - x_e)
    v_s^2 = mean_e,r (X - x_e - b_s)^2
    x_e = sum_s,r (X - b_s) / v_s^2  /  sum_s,r 1 / v_s^2

and is found by alternating these exact block updates (each raises the likelihood),
started from the plain MOS. Biases are then shifted to mean zero over subjects
(the model only fixes ``x_e + b_s``), as sureal does. This reaches the same fixed point
as sureal's damped Newton iterations, in far fewer steps. The default mode moderates
``v_s`` (see ``fit_subject_model``) so that it cannot collapse; sureal mode does not.

Each step only needs per-cell vote counts and sums, so it runs as a few matrix-vector
products over the (stimuli, subjects) table, with votes centred on their mean so that
the expanded sums of squares keep their precision.

95% CIs from the Fisher information: ``x_e +- z / sqrt(sum_s,r 1 / v_s^2)``,
``b_s +- z v_s / sqrt(n_s)``; for ``v_s`` the chi-square interval sureal reports:
``v_s (1 - sqrt(n_s / chi2_0.975(n_s)))`` below and ``v_s (sqrt(n_s / chi2_0.025(n_s)) - 1)`` above.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats

from moslab_science.mos.errors import MosInputError
from moslab_science.mos.stats import NORMAL_Z95


@dataclass(frozen=True, eq=False)
class SubjectModelFit:
    """Quality per stimulus, bias and inconsistency per subject, with 95% CI half-widths.

    ``inconsistency_ci95`` has shape (subjects, 2): the half-widths below and above.
    ``floored`` marks subjects whose inconsistency hit ``min_inconsistency``.
    """

    quality: np.ndarray
    quality_ci95: np.ndarray
    bias: np.ndarray
    bias_ci95: np.ndarray
    inconsistency: np.ndarray
    inconsistency_ci95: np.ndarray
    floored: np.ndarray
    iterations: int
    converged: bool
    loglikelihood_per_vote: float


def fit_subject_model(
    scores: np.ndarray,
    *,
    z: float = NORMAL_Z95,
    moderated: bool = True,
    tolerance: float = 1e-12,
    max_iterations: int = 10_000,
    min_inconsistency: float = 1e-8,
) -> SubjectModelFit:
    """Fit the model to a (stimuli, subjects, repetitions) array.

    Every stimulus needs a vote and every subject at least two (the caller drops the
    others and records why). Iteration stops when the qualities and inconsistencies are
    projected to lie within ``tolerance`` times the spread of the votes of the fixed point.

    ``moderated=False`` is the plain MLE (sureal): ``v_s^2 = RSS_s / n_s``. Its likelihood
    is unbounded: a subject more consistent than the rest pulls ``x_e`` onto its own
    votes, its residuals shrink, and ``v_s`` collapses to zero. ``moderated=True`` (the
    default mode) uses ``v_s^2 = (RSS_s + s0^2) / (n_s - sum_e h_es + 1)``: the residual
    degrees of freedom, with ``h_es = w_s / sum_s' w_s'`` the weight of the vote in
    ``x_e``, remove the subject's pull on its own fit, and one pseudo-vote at the pooled
    residual variance ``s0^2 = sum RSS / sum (n - h)`` keeps a subject with very few or
    perfectly fitting votes off zero. Inconsistencies below ``min_inconsistency`` times
    the spread of the votes are held there (``floored``).
    """
    sums = _Sums.of(scores)
    if not (sums.counts.sum(axis=1) > 0).all() or (sums.votes < 2).any():
        raise MosInputError("the MLE subject model needs a vote on every stimulus and two per subject.")
    floor = min_inconsistency * sums.spread
    quality = sums.totals.sum(axis=1) / sums.counts.sum(axis=1)  # the plain MOS (centred)
    weight = np.ones(sums.votes.size)  # the weights behind `quality`: equal for the MOS
    converged = False
    iterations = 0
    last_step = np.inf
    previous: tuple[np.ndarray, np.ndarray] | None = None
    while True:
        bias, squares = _subject_parameters(sums, quality)
        inconsistency = _inconsistency(sums, squares, weight, moderated)
        floored = ~(inconsistency >= floor)
        inconsistency = np.where(floored, floor, inconsistency)
        if previous is not None:  # how far qualities and inconsistencies moved in the last step
            moved = np.max(np.abs(quality - previous[0])), np.max(np.abs(inconsistency - previous[1]))
            converged = _remaining(float(max(moved)), last_step) <= tolerance * sums.spread
            last_step = float(max(moved))
        if converged or iterations == max_iterations:
            break
        iterations += 1
        weight = 1.0 / inconsistency**2
        previous = quality, inconsistency
        quality = (sums.totals @ weight - sums.counts @ (weight * bias)) / (sums.counts @ weight)
    shift = float(np.mean(bias))
    variance = inconsistency**2
    loglikelihood = -0.5 * np.sum(sums.votes * np.log(2.0 * np.pi * variance) + squares / variance)
    return SubjectModelFit(
        quality=quality + shift + sums.centre,
        quality_ci95=z / np.sqrt(sums.counts @ (1.0 / variance)),
        bias=bias - shift,
        bias_ci95=z * inconsistency / np.sqrt(sums.votes),
        inconsistency=inconsistency,
        inconsistency_ci95=_inconsistency_ci95(inconsistency, sums.votes),
        floored=floored,
        iterations=iterations,
        converged=converged,
        loglikelihood_per_vote=float(loglikelihood / sums.votes.sum()),
    )


@dataclass(frozen=True, eq=False)
class _Sums:
    """What the iteration needs from the votes, centred on their mean ``centre``."""

    counts: np.ndarray  # (stimuli, subjects): votes per cell
    totals: np.ndarray  # (stimuli, subjects): sum of the centred votes per cell
    votes: np.ndarray  # per subject: number of votes
    subject_totals: np.ndarray  # per subject: sum of its centred votes
    subject_squares: np.ndarray  # per subject: sum of its squared centred votes
    centre: float
    spread: float

    @classmethod
    def of(cls, scores: np.ndarray) -> "_Sums":
        observed = ~np.isnan(scores)
        centre = float(np.nanmean(scores))
        centred = np.where(observed, scores - centre, 0.0)
        counts = observed.sum(axis=2).astype(float)
        totals = centred.sum(axis=2)
        return cls(
            counts=counts,
            totals=totals,
            votes=counts.sum(axis=0),
            subject_totals=totals.sum(axis=0),
            subject_squares=(centred**2).sum(axis=(0, 2)),
            centre=centre,
            spread=float(np.nanmax(scores) - np.nanmin(scores)) or 1.0,
        )


def _remaining(step: float, last_step: float) -> float:
    """Distance still to go, from a linearly converging sequence: ``step * rate / (1 - rate)``.

    A plain "last step was small" test stops slowly converging (near-degenerate) designs
    far from the fixed point; this one keeps going until the projected remainder is small.
    """
    rate = step / last_step if last_step > 0 else 0.0
    return step * max(1.0, rate / (1.0 - rate)) if rate < 1.0 else np.inf


def _inconsistency(sums: _Sums, squares: np.ndarray, weight: np.ndarray, moderated: bool) -> np.ndarray:
    """``sqrt(RSS / n)``, or moderated: ``sqrt((RSS + s0^2) / (n - h + 1))`` (see ``fit_subject_model``)."""
    if not moderated:
        return np.sqrt(squares / sums.votes)
    freedom = np.maximum(sums.votes - _leverage(sums.counts, weight), 0.0)
    pooled = float(squares.sum() / freedom.sum()) if freedom.sum() > 0 else 0.0
    return np.sqrt((squares + pooled) / (freedom + 1.0))


def _leverage(counts: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """sum_e,r h_es per subject: the share of its votes in the weighted means of the qualities."""
    return weight * (counts.T @ (1.0 / (counts @ weight)))


def _subject_parameters(sums: _Sums, quality: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bias and residual sum of squares per subject, from the expanded sums.

    With ``c = sum_e n_es x_e``: ``b = (sum X - c) / n`` and
    ``RSS = sum X^2 - 2 sum X x - 2 b sum X + sum n x^2 + 2 b c + n b^2``.
    """
    expected = sums.counts.T @ quality
    bias = (sums.subject_totals - expected) / sums.votes
    squares = (
        sums.subject_squares
        - 2.0 * (sums.totals.T @ quality)
        - 2.0 * bias * sums.subject_totals
        + sums.counts.T @ quality**2
        + 2.0 * bias * expected
        + sums.votes * bias**2
    )
    return bias, np.maximum(squares, 0.0)


def _inconsistency_ci95(inconsistency: np.ndarray, n: np.ndarray) -> np.ndarray:
    below = (1.0 - np.sqrt(n / stats.chi2.ppf(0.975, df=n))) * inconsistency
    above = (np.sqrt(n / stats.chi2.ppf(0.025, df=n)) - 1.0) * inconsistency
    return np.column_stack([below, above])
