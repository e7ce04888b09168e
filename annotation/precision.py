"""Study planning: send the next ratings to the stimuli whose MOS confidence interval is widest."""
import random
from collections import Counter
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import Count, Max

from annotation.models import RatingTask
from common.errors import DomainError
from moslab_science.mos import MosInputError, allocate_ratings, ci_half_width, mos_stats, raters_needed
from studies.models import Membership, Stimulus, Study
from studies.mos_adapter import study_score_matrix
from studies.selectors import dimension_chosen


@dataclass(frozen=True)
class StimulusPrecision:
    stimulus: Stimulus
    votes: int
    assigned: int
    std: float | None
    half_width: float | None
    raters_needed: int | None


def precision_plan(*, study: Study, target_half_width: float) -> list[StimulusPrecision]:
    """Per stimulus: votes so far, tasks assigned, std, the 95% CI half-width now and raters needed.

    A study with several rating dimensions is planned on its first dimension's votes."""
    stimuli = list(Stimulus.objects.filter(study=study).annotate(assigned=Count("rating_tasks")).order_by("name"))
    dimension = dimension_chosen(study=study, dimension=None)
    try:
        matrix = study_score_matrix(study, verified_only=False, dimension=dimension).matrix
        statistics = mos_stats(matrix.scores)
        needed_by_row = raters_needed(statistics.std, target_half_width)
    except MosInputError as error:
        raise DomainError(str(error)) from None
    position = {name: index for index, name in enumerate(matrix.stimulus_ids)}
    row = [position[stimulus.name] for stimulus in stimuli]
    counts, std, needed = statistics.n[row], statistics.std[row], needed_by_row[row]
    width = ci_half_width(np.nan_to_num(std), counts)
    return [
        StimulusPrecision(
            stimulus=stimulus, votes=int(counts[i]), assigned=stimulus.assigned,
            std=None if np.isnan(std[i]) else float(std[i]),
            half_width=float(width[i]) if np.isfinite(width[i]) and not np.isnan(std[i]) else None,
            raters_needed=None if np.isnan(needed[i]) else int(needed[i]),
        )
        for i, stimulus in enumerate(stimuli)
    ]


@dataclass(frozen=True)
class PrecisionAllocation:
    created: int
    target_met: bool
    unplaceable: list[str]


@transaction.atomic
def assignment_extend_for_precision(
    *, study: Study, target_half_width: float, max_new: int, seed: int | None = None
) -> PrecisionAllocation:
    """Assign up to `max_new` more ratings, widest CI first, counting tasks already assigned as votes to come."""
    Study.objects.select_for_update().get(pk=study.pk)
    plan = precision_plan(study=study, target_half_width=target_half_width)
    std = np.array([np.nan if item.std is None else item.std for item in plan])
    try:
        allocation = allocate_ratings(np.array([item.assigned for item in plan]), std, target_half_width, max_new)
    except MosInputError as error:
        raise DomainError(str(error)) from None
    annotators = list(Membership.objects.filter(study=study, role=Membership.Role.ANNOTATOR)
                      .values_list("user_id", flat=True))
    taken = set(RatingTask.objects.filter(study=study).values_list("stimulus_id", "annotator_id"))
    load = Counter(annotator for _, annotator in taken)
    next_position = dict(RatingTask.objects.filter(study=study).values("annotator_id")
                         .annotate(last=Max("position")).values_list("annotator_id", "last"))
    rng = random.Random(seed)
    rows, unplaceable = [], []
    for index in allocation.stimuli:
        stimulus = plan[index].stimulus
        free = [a for a in annotators if (stimulus.pk, a) not in taken]
        if not free:
            unplaceable.append(stimulus.name)
            continue
        rng.shuffle(free)
        annotator = min(free, key=load.__getitem__)
        next_position[annotator] = next_position.get(annotator, -1) + 1
        rows.append(RatingTask(study=study, stimulus=stimulus, annotator_id=annotator,
                               position=next_position[annotator]))
        taken.add((stimulus.pk, annotator))
        load[annotator] += 1
    RatingTask.objects.bulk_create(rows)
    return PrecisionAllocation(created=len(rows), target_met=allocation.target_met and not unplaceable,
                               unplaceable=sorted(set(unplaceable)))
