import uuid
from collections import Counter

import pytest

from annotation import assignment_services, voting_services
from annotation.models import RatingTask
from common.errors import DomainError
from studies.models import Rating, Study

pytestmark = pytest.mark.django_db


def test_every_stimulus_gets_exactly_n_distinct_annotators(open_study, annotators):
    report = assignment_services.assignment_create(study=open_study, seed=1)
    assert report.created == 4 * open_study.raters_per_stimulus
    per_stimulus = Counter(RatingTask.objects.filter(study=open_study).values_list("stimulus_id", flat=True))
    assert set(per_stimulus.values()) == {open_study.raters_per_stimulus}
    loads = Counter(RatingTask.objects.filter(study=open_study).values_list("annotator_id", flat=True))
    assert max(loads.values()) - min(loads.values()) <= 1, "work is balanced"
    again = assignment_services.assignment_create(study=open_study, seed=2)
    assert again.created == 0, "assigning again adds nothing"


def test_assignment_needs_enough_annotators(open_study, annotators):
    open_study.raters_per_stimulus = 5
    open_study.save()
    with pytest.raises(DomainError, match="needs 5 distinct raters"):
        assignment_services.assignment_create(study=open_study)


def first_task(study, user):
    return RatingTask.objects.filter(study=study, annotator=user).order_by("position").first()


def test_submit_is_idempotent_per_client_id(open_study, annotators):
    assignment_services.assignment_create(study=open_study, seed=1)
    user = annotators[0]
    task = first_task(open_study, user)
    client_id = uuid.uuid4()
    first = voting_services.rating_submit(task=task, user=user, score=4, client_id=client_id, response_time_ms=1200)
    replay = voting_services.rating_submit(task=task, user=user, score=4, client_id=client_id)
    assert first.created and not replay.created and first.rating_id == replay.rating_id
    assert Rating.objects.count() == 1
    task.refresh_from_db()
    assert task.status == RatingTask.Status.DONE and task.rating.response_time_ms == 1200
    with pytest.raises(DomainError, match="rated this image already"):
        voting_services.rating_submit(task=task, user=user, score=2, client_id=uuid.uuid4())
    assert Rating.objects.count() == 1


@pytest.mark.parametrize("score", [0, 6, -1])
def test_off_scale_scores_are_refused(open_study, annotators, score):
    assignment_services.assignment_create(study=open_study, seed=1)
    task = first_task(open_study, annotators[0])
    with pytest.raises(DomainError, match="off the scale"):
        voting_services.rating_submit(task=task, user=annotators[0], score=score, client_id=uuid.uuid4())
    assert Rating.objects.count() == 0
    task.refresh_from_db()
    assert task.status == RatingTask.Status.PENDING


def test_someone_elses_task_and_closed_study_are_refused(open_study, annotators):
    assignment_services.assignment_create(study=open_study, seed=1)
    task = first_task(open_study, annotators[0])
    with pytest.raises(DomainError, match="not assigned to you"):
        voting_services.rating_submit(task=task, user=annotators[1], score=3, client_id=uuid.uuid4())
    Study.objects.filter(pk=open_study.pk).update(status=Study.Status.CLOSED)
    with pytest.raises(DomainError, match="closed"):
        voting_services.rating_submit(task=task, user=annotators[0], score=3, client_id=uuid.uuid4())
    assert Rating.objects.count() == 0
