"""ITU-R BT.500 subject screening (the beta2 kurtosis test with P and Q outlier counts).

For each stimulus, with mean ``u``, standard deviation ``s`` and kurtosis
``beta2 = m4 / m2^2`` of its votes: a vote ``x >= u + k s`` counts one P (high outlier)
for its subject and ``x <= u - k s`` one Q (low outlier), with ``k = 2`` when
``2 <= beta2 <= 4`` (normal-like) and ``k = sqrt(20)`` otherwise. A subject is rejected
when ``(P + Q) / N > 0.05`` and ``|P - Q| / (P + Q) < 0.3``. If that rejects every
subject, none is rejected.

``mode="sureal"`` reproduces sureal 0.9.0: ``s`` with ddof = 0, ``N`` = stimuli x maximum
repetitions for every subject, and a stimulus whose votes are all equal (``s = 0``) makes
every voter a P and a Q outlier. ``mode="default"``: ``s`` with ddof = 1 (the BT.500
formula), such stimuli (and single-vote ones) are skipped, and ``N`` is the number of
votes the subject cast on the screened stimuli. See docs/mos.md.
"""

from dataclasses import dataclass

import numpy as np

from moslab_science.mos.arrays import all_equal, nan_count, nan_mean, nan_std, safe_divide, votes_by_stimulus
from moslab_science.mos.modes import Mode, check_mode

KURTOSIS_RANGE = (2.0, 4.0)
NORMAL_FACTOR = 2.0
HEAVY_TAIL_FACTOR = float(np.sqrt(20.0))
OUTLIER_FRACTION_LIMIT = 0.05
ASYMMETRY_LIMIT = 0.3
#: Default mode: a vote within this relative distance of ``k s`` counts as on the boundary (>=).
BOUNDARY_TOLERANCE = 1e-9


@dataclass(frozen=True, eq=False)
class Bt500Screening:
    """Per-subject outcome (arrays over subjects) and per-stimulus inputs (over stimuli)."""

    mode: Mode
    rejected: np.ndarray
    p: np.ndarray
    q: np.ndarray
    votes_considered: np.ndarray
    outlier_fraction: np.ndarray
    asymmetry: np.ndarray
    reasons: tuple[str, ...]
    kurtosis: np.ndarray
    screened_stimuli: np.ndarray
    reverted: bool


def bt500_screen(scores: np.ndarray, *, mode: Mode = "default") -> Bt500Screening:
    """ITU-R BT.500 subject screening on a (stimuli, subjects, repetitions) array, NaN = missing."""
    mode = check_mode(mode)
    n_stimuli, n_subjects, n_repetitions = scores.shape
    votes = votes_by_stimulus(scores)
    count = nan_count(votes, axis=1)
    mean = nan_mean(votes, axis=1)
    kurtosis = _kurtosis(votes, mean, count)
    sigma = nan_std(votes, axis=1, ddof=0 if mode == "sureal" else 1)
    in_range = (kurtosis >= KURTOSIS_RANGE[0]) & (kurtosis <= KURTOSIS_RANGE[1])
    bound = np.where(in_range, NORMAL_FACTOR, HEAVY_TAIL_FACTOR) * sigma
    if mode == "sureal":
        screened = count > 0
        high = votes >= (mean + bound)[:, None]
        low = votes <= (mean - bound)[:, None]
    else:
        screened = (count >= 2) & ~all_equal(votes)
        deviation = votes - mean[:, None]
        reach = (bound * (1.0 - BOUNDARY_TOLERANCE))[:, None]
        high = screened[:, None] & (deviation >= reach)
        low = screened[:, None] & (deviation <= -reach)
    shape = (n_stimuli, n_subjects, n_repetitions)
    p = high.reshape(shape).sum(axis=(0, 2))
    q = low.reshape(shape).sum(axis=(0, 2))
    if mode == "sureal":
        considered = np.full(n_subjects, n_stimuli * n_repetitions)
    else:
        considered = (~np.isnan(scores) & screened[:, None, None]).sum(axis=(0, 2))
    fraction = safe_divide(p + q, considered)
    asymmetry = safe_divide(np.abs(p - q), p + q)
    with np.errstate(invalid="ignore"):
        rejected = (fraction > OUTLIER_FRACTION_LIMIT) & (asymmetry < ASYMMETRY_LIMIT)
    reverted = bool(rejected.all())
    if reverted:
        rejected = np.zeros(n_subjects, dtype=bool)
    return Bt500Screening(
        mode=mode,
        rejected=rejected,
        p=p,
        q=q,
        votes_considered=considered,
        outlier_fraction=fraction,
        asymmetry=asymmetry,
        reasons=_reasons(rejected, p, q, considered, fraction, asymmetry, reverted),
        kurtosis=kurtosis,
        screened_stimuli=screened,
        reverted=reverted,
    )


def _kurtosis(votes: np.ndarray, mean: np.ndarray, count: np.ndarray) -> np.ndarray:
    """beta2 = m4 / m2^2 (biased moments, as BT.500 and scipy); NaN where the votes do not vary."""
    squares = np.square(votes - mean[:, None])
    np.copyto(squares, 0.0, where=np.isnan(squares))  # a missing vote adds nothing
    m2 = safe_divide(np.sum(squares, axis=1), count)
    m4 = safe_divide(np.sum(np.square(squares), axis=1), count)
    flat = m2 <= (np.finfo(float).eps * mean) ** 2  # scipy.stats.kurtosis's own test
    return np.where(flat | np.isnan(m2), np.nan, safe_divide(m4, m2**2))


def _reasons(
    rejected: np.ndarray,
    p: np.ndarray,
    q: np.ndarray,
    considered: np.ndarray,
    fraction: np.ndarray,
    asymmetry: np.ndarray,
    reverted: bool,
) -> tuple[str, ...]:
    counts = [f"P={pi}, Q={qi} in {ni} votes" for pi, qi, ni in zip(p, q, considered, strict=True)]
    reasons = []
    for i, described in enumerate(counts):
        if considered[i] == 0:
            reasons.append("kept: no votes on screened stimuli")
        elif rejected[i]:
            reasons.append(
                f"rejected: {described}, outliers {fraction[i]:.1%} > 5% and |P-Q|/(P+Q) = {asymmetry[i]:.2f} < 0.3"
            )
        elif reverted:
            reasons.append(f"kept: {described}; the rule rejected every subject, so none is rejected")
        elif fraction[i] <= OUTLIER_FRACTION_LIMIT:
            reasons.append(f"kept: {described}, outliers {fraction[i]:.1%} <= 5%")
        else:
            reasons.append(f"kept: {described}, outliers one-sided, |P-Q|/(P+Q) = {asymmetry[i]:.2f} >= 0.3")
    return tuple(reasons)
