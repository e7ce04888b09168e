"""Per-subject normalisations: z-scores (optionally rescaled) and ITU-T P.913 bias removal."""

from dataclasses import dataclass
from typing import Literal

import numpy as np

from moslab_science.mos.arrays import all_equal, nan_mean, nan_std, votes_by_stimulus, votes_by_subject
from moslab_science.mos.errors import MosInputError

Rescale = Literal["none", "three_sigma", "minmax"]
RESCALES: tuple[str, ...] = ("none", "three_sigma", "minmax")


@dataclass(frozen=True, eq=False)
class SubjectZScores:
    """``z = (x - mean_s) / std_s`` over all votes of subject ``s`` (std with ddof = 1).

    Subjects whose std is undefined or zero (``excluded``) have NaN z-scores.
    """

    scores: np.ndarray
    subject_mean: np.ndarray
    subject_std: np.ndarray
    excluded: np.ndarray


@dataclass(frozen=True, eq=False)
class BiasRemoval:
    """ITU-T P.913 bias removal: ``bias_s = mean_e(x_es - MOS_e)`` and ``x'_es = x_es - bias_s``."""

    scores: np.ndarray
    bias: np.ndarray


def subject_zscores(scores: np.ndarray) -> SubjectZScores:
    votes = votes_by_subject(scores)
    mean = nan_mean(votes, axis=1)
    std = nan_std(votes, axis=1, ddof=1)
    excluded = ~(std > 0) | all_equal(votes)  # rounding can leave a tiny std on equal votes
    usable_std = np.where(excluded, np.nan, std)
    return SubjectZScores(
        scores=(scores - mean[None, :, None]) / usable_std[None, :, None],
        subject_mean=mean,
        subject_std=std,
        excluded=excluded,
    )


def rescale_zscores(z: np.ndarray, z_mos: np.ndarray, *, scale: tuple[float, float], method: Rescale) -> np.ndarray:
    """Map z-scores linearly onto the study scale.

    ``three_sigma``: ``lo + (hi - lo) (z + 3) / 6`` (LIVE's ``100 (z + 3) / 6`` on any
    scale: z = -3 lands on ``lo``, z = +3 on ``hi``). ``minmax``: the line that sends the
    lowest z-MOS to ``lo`` and the highest to ``hi``. Both are linear, so standard
    deviations and CIs scale by the slope.
    """
    lo, hi = scale
    if method == "none":
        return z
    if method == "three_sigma":
        slope = (hi - lo) / 6.0
        return lo + slope * (z + 3.0)
    if method == "minmax":
        low, high = np.nanmin(z_mos), np.nanmax(z_mos)
        if not high > low:
            raise MosInputError("minmax rescaling needs at least two stimuli with different z-MOS.")
        slope = (hi - lo) / (high - low)
        return lo + slope * (z - low)
    raise MosInputError(f"unknown rescale {method!r}; choose one of {', '.join(RESCALES)}.")


def p913_bias_removal(scores: np.ndarray) -> BiasRemoval:
    """Subtract each subject's mean offset from the plain MOS of the stimuli it rated."""
    mos = nan_mean(votes_by_stimulus(scores), axis=1)
    bias = nan_mean(votes_by_subject(scores - mos[:, None, None]), axis=1)
    return BiasRemoval(scores=scores - bias[None, :, None], bias=bias)
