"""The vote's SQL-written queries give what the ORM gives, scoped the same way."""
import uuid

import pytest
from django.db.models import Sum
from django.utils import timezone

from annotation import (
    assignment_services,
    enrolment_services,
    protocol_services,
    selectors,
    session_services,
    vote_queries,
    voting_services,
)
from annotation.models import Enrolment, RatingTask, StimulusReview
from studies import services as study_services
from studies.models import Membership, Study
from tests.annotation.helpers import protocol_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(coordinator, make_user, tmp_path):
    """A study with 12 images, 2 raters each, blocks of 6; the first annotator has voted once."""
    study, users = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "i",
                                  annotators=2, raters_per_stimulus=2, config={"block_size": 6})
    for user in users:
        enrolment_services.enrolment_accept_instructions(
            enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
        session_services.session_next(study=study, user=user)
    first = users[0]
    task = RatingTask.objects.filter(study=study, annotator=first).order_by("position").first()
    client_id = uuid.uuid4()
    voting_services.rating_submit(task=task, user=first, client_id=client_id, score=4)
    return study, users, client_id


def fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_the_task_comes_with_its_study_and_image_as_the_orm_loads_them(rated):
    study, (first, _), used = rated
    task = RatingTask.objects.filter(study=study, annotator=first, status="pending").first()
    got, client_id_used = vote_queries.task_for_vote(task_id=task.pk, user_id=first.pk, client_id=uuid.uuid4(),
                                                     study_id=study.pk)
    orm = RatingTask.objects.select_related("study", "stimulus").get(pk=task.pk)
    assert fields(got) == fields(orm)
    assert fields(got.study) == fields(orm.study)
    assert fields(got.stimulus) == fields(orm.stimulus)
    assert client_id_used is False
    again = vote_queries.task_for_vote(task_id=task.pk, user_id=first.pk, client_id=used, study_id=study.pk)
    assert again.client_id_used is True and again.task.pk == task.pk


def test_a_task_is_found_only_in_its_study_for_its_annotator_while_they_are_one(rated, coordinator, make_user):
    study, (first, second), _ = rated
    task = RatingTask.objects.filter(study=study, annotator=first, status="pending").first()
    other = study_services.study_create(name="Other", slug="other", created_by=coordinator)
    study_services.membership_add(study=other, user=first, role=Membership.Role.ANNOTATOR)
    for study_id, user in ((other.pk, first), (study.pk, second)):
        assert vote_queries.task_for_vote(task_id=task.pk, user_id=user.pk, client_id=uuid.uuid4(),
                                          study_id=study_id) is None
    Membership.objects.filter(study=study, user=first).delete()
    assert vote_queries.task_for_vote(task_id=task.pk, user_id=first.pk, client_id=uuid.uuid4(),
                                      study_id=study.pk) is None
    unscoped = vote_queries.task_for_vote(task_id=task.pk, user_id=second.pk, client_id=uuid.uuid4())
    assert unscoped.task.annotator_id == first.pk, "without a study the caller checks the annotator itself"


def test_the_enrolment_comes_with_the_latest_protocol_version(rated, coordinator):
    study, (first, _), _ = rated
    got = vote_queries.enrolment_for_vote(study_id=study.pk, user_id=first.pk)
    assert fields(got.enrolment) == fields(Enrolment.objects.get(study=study, user=first))
    assert got.protocol_id == study.protocols.get(version=1).pk
    later = protocol_services.protocol_publish(study=study, config={"block_size": 4}, by=coordinator)
    now = vote_queries.enrolment_for_vote(study_id=study.pk, user_id=first.pk)
    assert now.protocol_id == later.pk and now.protocol_stamp != got.protocol_stamp, "the stamp keys the version"
    assert vote_queries.enrolment_for_vote(study_id=study.pk, user_id=coordinator.pk) is None


def test_the_cross_check_counts_match_the_tasks_of_the_image(rated):
    study, (first, second), _ = rated
    done = RatingTask.objects.get(study=study, annotator=first, status="done")
    stimulus = done.stimulus
    RatingTask.objects.get_or_create(study=study, stimulus=stimulus, annotator=second, kind="rating",
                                     defaults={"slot": 1, "position": 500})
    RatingTask.objects.create(study=study, stimulus=stimulus, annotator=first, kind="relabel", round=1,
                              position=501, priority=0)
    tasks = RatingTask.objects.filter(stimulus=stimulus, kind__in=["rating", "relabel"])
    expected = (tasks.filter(status="pending").count(), tasks.filter(kind="rating").count(), 2, 1)
    assert vote_queries.stimulus_task_counts(stimulus_id=stimulus.pk, raters_per_stimulus=2) == expected
    assert expected[0] >= 1 and expected[1] == 2


def test_the_next_tasks_come_in_queue_order_with_the_study_progress(rated):
    study, (first, second), _ = rated
    relabel = RatingTask.objects.create(study=study, stimulus=study.stimuli.first(), annotator=first, kind="relabel",
                                        round=1, position=900, priority=0)
    orm = list(RatingTask.objects.filter(study=study, annotator=first, status="pending")
               .order_by("priority", "position").values_list("pk", flat=True))
    got, study_done, yours = vote_queries.pending_tasks(study_id=study.pk, user_id=first.pk, limit=4)
    assert [task.pk for task in got] == orm[:4] and got[0].pk == relabel.pk
    assert got[1].stimulus.width == RatingTask.objects.get(pk=got[1].pk).stimulus.width
    assert study_done == Enrolment.objects.filter(study=study).aggregate(n=Sum("study_votes"))["n"] == 1
    assert yours == selectors.your_progress(study=study, user_id=first.pk), "the SQL counts as the ORM does"
    mine = RatingTask.objects.filter(study=study, annotator=first)
    assert yours["rating"] == (mine.filter(status="done").count(), mine.count()) and yours["rating"].done == 1
    theirs = vote_queries.pending_tasks(study_id=study.pk, user_id=second.pk, limit=50).tasks
    assert theirs[-1].annotator_id == second.pk
    RatingTask.objects.filter(annotator=first).update(status="done")
    none = vote_queries.pending_tasks(study_id=study.pk, user_id=first.pk, limit=4)
    assert none == ([], None, None), "none pending: no counts"


def test_a_row_update_writes_only_the_named_fields_and_stamps_the_time(rated):
    study, (first, _), _ = rated
    enrolment = Enrolment.objects.get(study=study, user=first)
    before = enrolment.updated_at
    enrolment.study_votes = 41
    enrolment.pause_reason = "not written"
    vote_queries.row_update(enrolment, ("study_votes", "updated_at"))
    stored = Enrolment.objects.get(pk=enrolment.pk)
    assert stored.study_votes == 41 and stored.pause_reason == ""
    assert before < stored.updated_at <= timezone.now()
    assert stored.updated_at == enrolment.updated_at


def test_a_vote_in_a_closed_study_is_refused_through_the_sql_path(rated, client):
    study, (first, _), _ = rated
    task = RatingTask.objects.filter(study=study, annotator=first, status="pending").first()
    Study.objects.filter(pk=study.pk).update(status=Study.Status.CLOSED)
    client.force_login(first)
    response = client.post(f"/api/annotation/studies/{study.pk}/ratings/",
                           {"task_id": task.pk, "client_id": str(uuid.uuid4()), "score": 3},
                           content_type="application/json")
    assert response.status_code == 400 and "closed" in response.json()["detail"].lower()
    assert not RatingTask.objects.get(pk=task.pk).rating_id


def test_an_open_place_is_found_while_the_database_count_finds_one(rated, make_user):
    study, (first, second), _ = rated
    third = make_user("third")
    study_services.membership_add(study=study, user=third, role=Membership.Role.ANNOTATOR)

    def agrees(user) -> bool:
        found = vote_queries.open_place_exists(study_id=study.pk, user_id=user.pk, raters_per_stimulus=2)
        assert found == bool(assignment_services._open_stimuli(study=study, user=user, limit=1))
        return found

    assert agrees(first) and agrees(third)
    protocol = protocol_services.protocol_current(study=study)[1]
    while assignment_services.queue_fill(study=study, user=first, protocol=protocol):
        pass
    while assignment_services.queue_fill(study=study, user=second, protocol=protocol):
        pass
    assert not agrees(first) and not agrees(third), "two raters per image, both places taken"
    image = RatingTask.objects.filter(study=study, kind="rating").first().stimulus
    StimulusReview.objects.create(study=study, stimulus=image, status="more_raters", extra_raters=1)
    assert agrees(third) and not agrees(first), "an added place is open to a rater not yet on the image"
