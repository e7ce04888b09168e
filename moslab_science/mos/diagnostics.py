"""Warnings about the data itself, recorded with every result instead of silent NaNs."""

import numpy as np

from moslab_science.mos.arrays import all_equal, votes_by_stimulus, votes_by_subject
from moslab_science.mos.errors import MosWarning, name_ids
from moslab_science.mos.matrix import ScoreMatrix


def unrated_warning(unrated: tuple[str, ...]) -> MosWarning:
    return MosWarning(
        "unrated_stimulus",
        f"{len(unrated)} stimuli have no votes ({name_ids(unrated)}): MOS, std and CI are null.",
        stimuli=unrated,
    )


def data_warnings(matrix: ScoreMatrix) -> tuple[MosWarning, ...]:
    """Unrated and single-vote stimuli, single-vote subjects, and all-equal votes."""
    stimulus_votes = votes_by_stimulus(matrix.scores)
    subject_votes = votes_by_subject(matrix.scores)
    per_stimulus = np.sum(~np.isnan(stimulus_votes), axis=1)
    per_subject = np.sum(~np.isnan(subject_votes), axis=1)
    stimuli = np.array(matrix.stimulus_ids, dtype=object)
    subjects = np.array(matrix.subject_ids, dtype=object)
    found: list[MosWarning] = []

    unrated = tuple(stimuli[per_stimulus == 0])
    if unrated:
        found.append(unrated_warning(unrated))
    single = tuple(stimuli[per_stimulus == 1])
    if single:
        found.append(
            MosWarning(
                "single_vote_stimulus",
                f"{len(single)} stimuli have a single vote ({name_ids(single)}): their std and CI are null.",
                stimuli=single,
            )
        )
    idle = tuple(subjects[per_subject == 0])
    if idle:
        found.append(
            MosWarning(
                "unrated_subject",
                f"{len(idle)} subjects cast no vote ({name_ids(idle)}): nothing is estimated for them.",
                subjects=idle,
            )
        )
    lonely = tuple(subjects[per_subject == 1])
    if lonely:
        found.append(
            MosWarning(
                "single_vote_subject",
                f"{len(lonely)} subjects cast a single vote ({name_ids(lonely)}): they cannot be z-scored, "
                "screened by correlation or given an inconsistency.",
                subjects=lonely,
            )
        )
    flat_stimuli = tuple(stimuli[all_equal(stimulus_votes) & (per_stimulus >= 2)])
    if flat_stimuli:
        found.append(
            MosWarning(
                "zero_variance_stimulus",
                f"{len(flat_stimuli)} stimuli received identical votes from every voter "
                f"({name_ids(flat_stimuli)}): their std is 0.",
                stimuli=flat_stimuli,
            )
        )
    flat_subjects = tuple(subjects[all_equal(subject_votes) & (per_subject >= 2)])
    if flat_subjects:
        found.append(
            MosWarning(
                "zero_variance_subject",
                f"{len(flat_subjects)} subjects gave the same score to everything they rated "
                f"({name_ids(flat_subjects)}): they cannot be z-scored or correlated.",
                subjects=flat_subjects,
            )
        )
    return tuple(found)
