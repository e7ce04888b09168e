"""Between the database and the plain-Python MOS engine: ratings in, StimulusMos rows out."""
from dataclasses import dataclass

import numpy as np

from studies.models import MosComputation, Rating, Stimulus, StimulusMos
from studies.mos.stats import mos_stats


@dataclass(frozen=True)
class MosOutcome:
    results: list[StimulusMos]
    warnings: list[str]
    num_ratings: int


def study_score_array(computation: MosComputation) -> tuple[np.ndarray, list[int], list[int]]:
    """(stimuli, raters, repetitions) array with NaN for missing votes, plus the row and column ids."""
    stimulus_ids = list(Stimulus.objects.filter(study=computation.study).order_by("pk").values_list("pk", flat=True))
    votes = list(
        Rating.objects.filter(study=computation.study).order_by("created_at", "pk")
        .values_list("stimulus_id", "rater_id", "score")
    )
    rater_ids = sorted({rater for _, rater, _ in votes})
    row = {pk: index for index, pk in enumerate(stimulus_ids)}
    column = {pk: index for index, pk in enumerate(rater_ids)}
    repetitions: dict[tuple[int, int], int] = {}
    cells = []
    for stimulus_id, rater_id, score in votes:
        key = (row[stimulus_id], column[rater_id])
        repetitions[key] = repetitions.get(key, -1) + 1
        cells.append((*key, repetitions[key], score))
    depth = max(repetitions.values(), default=0) + 1
    scores = np.full((len(stimulus_ids), len(rater_ids), depth), np.nan)
    for stimulus_index, rater_index, repetition, score in cells:
        scores[stimulus_index, rater_index, repetition] = score
    return scores, stimulus_ids, rater_ids


def compute_study_mos(computation: MosComputation) -> MosOutcome:
    scores, stimulus_ids, rater_ids = study_score_array(computation)
    if computation.method != MosComputation.Method.MEAN:
        raise ValueError(f"method {computation.method} is not available yet")
    stats = mos_stats(scores)
    results = [
        StimulusMos(
            computation=computation, stimulus_id=stimulus_id, mos=_finite(stats.mos[index]),
            std=_finite(stats.std[index]), ci95=_finite(stats.ci95_t[index]), count=int(stats.n[index]),
        )
        for index, stimulus_id in enumerate(stimulus_ids)
    ]
    return MosOutcome(results=results, warnings=[], num_ratings=int(np.sum(~np.isnan(scores))))


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
