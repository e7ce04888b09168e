"""Warnings each method records about what it did with the data (see also diagnostics.py)."""

import numpy as np

from moslab_science.mos.errors import MosWarning, name_ids
from moslab_science.mos.matrix import ScoreMatrix
from moslab_science.mos.mle import SubjectModelFit
from moslab_science.mos.rater_flags import bt500_power_warnings
from moslab_science.mos.screening_bt500 import Bt500Screening
from moslab_science.mos.screening_correlation import CorrelationScreening


def _ids(ids: tuple[str, ...], mask: np.ndarray) -> tuple[str, ...]:
    return tuple(i for i, m in zip(ids, mask, strict=True) if m)


def bt500(matrix: ScoreMatrix, screening: Bt500Screening) -> list[MosWarning]:
    found = []
    rated = matrix.votes_per_stimulus > 0
    if screening.mode == "sureal":
        flat = _ids(matrix.stimulus_ids, rated & np.isnan(screening.kurtosis))
        if flat:
            found.append(
                MosWarning(
                    "bt500_flat_stimuli_counted",
                    f"sureal mode: on {len(flat)} stimuli all votes are equal ({name_ids(flat)}), so, as in "
                    "sureal, every voter there counts as both a P and a Q outlier.",
                    stimuli=flat,
                )
            )
    else:
        skipped = _ids(matrix.stimulus_ids, rated & ~screening.screened_stimuli)
        if skipped:
            found.append(
                MosWarning(
                    "bt500_stimuli_not_screened",
                    f"{len(skipped)} stimuli were left out of BT.500 outlier counting because their votes do "
                    f"not vary or there is only one ({name_ids(skipped)}).",
                    stimuli=skipped,
                )
            )
    found += bt500_power_warnings(matrix.votes_per_stimulus, matrix.votes_per_subject)
    if screening.reverted:
        found.append(
            MosWarning(
                "bt500_all_rejected",
                "the BT.500 rule rejected every subject, so none was rejected; look at the votes.",
                subjects=matrix.subject_ids,
            )
        )
    return found


def correlation(matrix: ScoreMatrix, screening: CorrelationScreening) -> list[MosWarning]:
    statistic = getattr(screening.correlations, screening.statistic)
    undefined = _ids(matrix.subject_ids, np.isnan(statistic))
    if not undefined:
        return []
    return [
        MosWarning(
            "correlation_undefined",
            f"{len(undefined)} subjects share fewer than 3 stimuli with the others or do not vary "
            f"({name_ids(undefined)}): their correlation is undefined and they are kept.",
            subjects=undefined,
        )
    ]


def zscore(matrix: ScoreMatrix, excluded: np.ndarray, mos: np.ndarray, rescale: object) -> list[MosWarning]:
    found = []
    dropped = _ids(matrix.subject_ids, excluded)
    if dropped:
        found.append(
            MosWarning(
                "zscore_subjects_excluded",
                f"{len(dropped)} subjects have no spread to divide by (one vote, or all votes equal: "
                f"{name_ids(dropped)}); their votes are left out of the z-score MOS.",
                subjects=dropped,
            )
        )
    lo, hi = matrix.scale
    with np.errstate(invalid="ignore"):
        outside = _ids(matrix.stimulus_ids, (mos < lo) | (mos > hi))
    if rescale == "three_sigma" and outside:
        found.append(
            MosWarning(
                "zscore_outside_scale",
                f"{len(outside)} rescaled MOS values lie beyond three standard deviations, outside the "
                f"scale ({name_ids(outside)}); they are not clipped.",
                stimuli=outside,
            )
        )
    return found


def mle(
    matrix: ScoreMatrix, fit: SubjectModelFit, usable_subjects: np.ndarray, usable_stimuli: np.ndarray
) -> list[MosWarning]:
    found = []
    dropped = _ids(matrix.subject_ids, ~usable_subjects)
    if dropped:
        found.append(
            MosWarning(
                "mle_subjects_excluded",
                f"{len(dropped)} subjects with fewer than two votes were left out of the subject model "
                f"({name_ids(dropped)}): their bias and inconsistency are null.",
                subjects=dropped,
            )
        )
    lost = _ids(matrix.stimulus_ids, ~usable_stimuli & (matrix.votes_per_stimulus > 0))
    if lost:
        found.append(
            MosWarning(
                "mle_stimuli_excluded",
                f"{len(lost)} stimuli were rated only by excluded subjects ({name_ids(lost)}): no quality.",
                stimuli=lost,
            )
        )
    floored = _ids(_ids(matrix.subject_ids, usable_subjects), fit.floored)
    if floored:
        found.append(
            MosWarning(
                "mle_inconsistency_floored",
                f"{len(floored)} subjects agree exactly with the model ({name_ids(floored)}); their "
                "inconsistency was held at a small floor so that their weight stays finite.",
                subjects=floored,
            )
        )
    if not fit.converged:
        found.append(
            MosWarning(
                "mle_not_converged",
                f"the subject model did not converge in {fit.iterations} iterations; raise max_iterations.",
            )
        )
    return found


def after_selection(matrix: ScoreMatrix, used: np.ndarray) -> list[MosWarning]:
    """Stimuli that lost all their votes, or all but one, to subject rejection or exclusion."""
    before = matrix.votes_per_stimulus
    left = np.sum(~np.isnan(used), axis=(1, 2))
    found = []
    gone = _ids(matrix.stimulus_ids, (before > 0) & (left == 0))
    if gone:
        found.append(
            MosWarning(
                "stimuli_lost_all_votes",
                f"{len(gone)} stimuli lost every vote to subject rejection or exclusion ({name_ids(gone)}): "
                "their MOS is null.",
                stimuli=gone,
            )
        )
    single = _ids(matrix.stimulus_ids, (before > 1) & (left == 1))
    if single:
        found.append(
            MosWarning(
                "stimuli_left_with_one_vote",
                f"{len(single)} stimuli kept a single vote after subject rejection or exclusion "
                f"({name_ids(single)}): their std and CI are null.",
                stimuli=single,
            )
        )
    return found
