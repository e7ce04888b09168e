"""Assignment and rating submission: the only way votes enter a study, for people and simulators alike."""
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max

from annotation.models import RatingTask
from common.errors import DomainError
from studies import services as study_services
from studies.models import Membership, Stimulus, Study


@dataclass(frozen=True)
class AssignmentReport:
    created: int
    annotators: int


@transaction.atomic
def assignment_create(*, study: Study, seed: int | None = None) -> AssignmentReport:
    """Give every stimulus `raters_per_stimulus` distinct annotators, least-loaded first.

    Stimuli that already have tasks keep them and get only the missing ones; each annotator's
    new tasks are appended to their queue in a random order.
    """
    Study.objects.select_for_update().get(pk=study.pk)
    annotators = list(
        Membership.objects.filter(study=study, role=Membership.Role.ANNOTATOR)
        .order_by("user_id").values_list("user_id", flat=True)
    )
    needed = study.raters_per_stimulus
    if len(annotators) < needed:
        raise DomainError(
            f"The study needs {needed} distinct raters per stimulus but has {len(annotators)} annotators; "
            "add annotators or lower raters per stimulus."
        )
    rng = random.Random(seed)
    assigned: dict[int, set[int]] = defaultdict(set)
    load = dict.fromkeys(annotators, 0)
    for stimulus_id, annotator_id in RatingTask.objects.filter(study=study).values_list("stimulus_id", "annotator_id"):
        assigned[stimulus_id].add(annotator_id)
        load[annotator_id] = load.get(annotator_id, 0) + 1
    stimuli = list(Stimulus.objects.filter(study=study).values_list("pk", flat=True))
    rng.shuffle(stimuli)
    new_tasks: dict[int, list[int]] = defaultdict(list)
    for stimulus_id in stimuli:
        missing = needed - len(assigned[stimulus_id])
        candidates = [a for a in annotators if a not in assigned[stimulus_id]]
        rng.shuffle(candidates)
        for annotator_id in sorted(candidates, key=load.__getitem__)[:missing]:
            assigned[stimulus_id].add(annotator_id)
            load[annotator_id] += 1
            new_tasks[annotator_id].append(stimulus_id)
    last_positions = dict(
        RatingTask.objects.filter(study=study).values("annotator_id")
        .annotate(last=Max("position")).values_list("annotator_id", "last")
    )
    rows = []
    for annotator_id, stimulus_ids in new_tasks.items():
        rng.shuffle(stimulus_ids)
        start = last_positions.get(annotator_id, -1) + 1
        rows += [
            RatingTask(study=study, stimulus_id=stimulus_id, annotator_id=annotator_id, position=start + offset)
            for offset, stimulus_id in enumerate(stimulus_ids)
        ]
    RatingTask.objects.bulk_create(rows)
    return AssignmentReport(created=len(rows), annotators=len(new_tasks))


@dataclass(frozen=True)
class SubmitResult:
    task_id: int
    rating_id: int
    created: bool


def rating_submit(
    *, task: RatingTask, user: AbstractBaseUser, score: float, client_id: uuid.UUID,
    response_time_ms: int | None = None,
) -> SubmitResult:
    """Close `task` with a vote; replaying the same client id returns the stored vote."""
    with transaction.atomic():
        task = RatingTask.objects.select_for_update().select_related("study", "stimulus").get(pk=task.pk)
        if task.annotator_id != user.pk:
            raise DomainError("This task is not assigned to you.")
        if task.status == RatingTask.Status.DONE:
            if task.rating.client_id == client_id and task.rating.score == score:
                return SubmitResult(task_id=task.pk, rating_id=task.rating_id, created=False)
            raise DomainError("You have rated this image already.")
        rating, created = study_services.rating_record(
            study=task.study, stimulus=task.stimulus, rater=user, score=score,
            client_id=client_id, response_time_ms=response_time_ms,
        )
        task.rating = rating
        task.status = RatingTask.Status.DONE
        task.save(update_fields=["rating", "status", "updated_at"])
    return SubmitResult(task_id=task.pk, rating_id=rating.pk, created=created)
