"""Enrolment through training and qualification, gold pauses, breaks, completion, and refused input via the API."""
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from annotation import enrolment_services, protocol_services, session_services, voting_services
from annotation.models import Enrolment, RatingTask
from common.errors import DomainError
from studies.models import Rating, Study, StudyProtocol
from tests.annotation.helpers import protocol_study

pytestmark = pytest.mark.django_db
Phase = Enrolment.Phase


@pytest.fixture
def qc_study(coordinator, make_user, tmp_path):
    config = {"block_size": 4, "break_seconds": 60, "gold_every": 3,
              "gold_pause_after": 2, "repeats_per_block": 1, "qualification_threshold": 0.5}
    return protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "img", training=2,
                          qualification=2, gold=3, raters_per_stimulus=2, config=config)


def vote(study, user, score, *, deductions=None, reason=""):
    task = RatingTask.objects.filter(study=study, annotator=user, status="pending").order_by("priority", "position")[0]
    return task, voting_services.rating_submit(task=task, user=user, score=score, client_id=uuid.uuid4(),
                                               deductions=deductions, reason=reason, response_time_ms=900)


def test_protocol_changes_are_new_versions_and_votes_keep_theirs(qc_study, coordinator):
    study, (user, *_) = qc_study
    first = StudyProtocol.objects.get(study=study)
    enrolment = enrolment_services.enrolment_get_or_start(study=study, user=user)
    enrolment_services.enrolment_accept_instructions(enrolment=enrolment)
    _, result = vote(study, user, 4)
    protocol_services.protocol_publish(study=study, config={**first.config, "block_size": 5}, by=coordinator, note="v2")
    assert list(StudyProtocol.objects.filter(study=study).values_list("version", flat=True)) == [2, 1]
    assert Rating.objects.get(pk=result.rating_id).protocol == first
    _, later = vote(study, user, 4)
    assert Rating.objects.get(pk=later.rating_id).protocol.version == 2
    with pytest.raises(DomainError, match="Unknown scale 'x'; choose acr5 or slider100"):
        protocol_services.protocol_publish(study=study, config={}, scale="x", by=coordinator)
    with pytest.raises(DomainError, match="The scale cannot change once the study has votes"):
        protocol_services.protocol_publish(study=study, config={}, scale="slider100", by=coordinator)
    protocol_services.protocol_publish(study=study, config={}, raters_per_stimulus=3, by=coordinator, note="v3")
    assert (study.scale_min, study.scale_max, study.raters_per_stimulus) == (1, 5, 3), "raters may change"
    assert "raters_per_stimulus" not in study.protocols.get(version=3).config, "the study owns them, not the config"


def test_training_gives_feedback_then_failing_qualification_pauses(qc_study):
    study, (user, *_) = qc_study
    enrolment = enrolment_services.enrolment_get_or_start(study=study, user=user)
    assert enrolment.phase == Phase.INSTRUCTIONS
    state = session_services.session_next(study=study, user=user)[1]
    assert state["tasks"] == [], "nothing to rate before instructions"
    enrolment_services.enrolment_accept_instructions(enrolment=enrolment)
    _, result = vote(study, user, 2)
    assert result.feedback == {"your_score": 2, "reference": 4, "explanation": "training 0: slight noise only.",
                               "within_tolerance": False}
    vote(study, user, 4)
    assert Enrolment.objects.get(pk=enrolment.pk).phase == Phase.QUALIFICATION
    vote(study, user, 1)
    vote(study, user, 1)
    enrolment.refresh_from_db()
    assert enrolment.paused and "qualification not passed: 0%" in enrolment.pause_reason
    _, state = session_services.session_next(study=study, user=user)
    assert state["paused"] and state["tasks"] == []


def test_passing_qualification_opens_rating_with_gold_repeats_breaks_and_completion(qc_study):
    study, (user, *_) = qc_study
    enrolment_services.enrolment_accept_instructions(
        enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
    for _ in range(4):  # two training, two qualification, all on the reference
        vote(study, user, 4)
    enrolment = Enrolment.objects.get(study=study, user=user)
    assert enrolment.phase == Phase.RATING and enrolment.qualification_score == 1
    _, state = session_services.session_next(study=study, user=user)
    pending = RatingTask.objects.filter(study=study, annotator=user, status="pending")
    kinds = list(pending.values_list("kind", flat=True))
    assert kinds.count("gold") == 1 and kinds.count("rating") == 4, "a block of 4 with one hidden gold item"
    assert {task["kind"] for task in state["tasks"]} == {"rating"}, "gold items look like any other image"
    for _ in range(4):
        vote(study, user, 4)
    enrolment.refresh_from_db()
    assert enrolment.break_until > timezone.now()
    with pytest.raises(DomainError, match="Time for a break"):
        vote(study, user, 4)
    Enrolment.objects.filter(pk=enrolment.pk).update(break_until=timezone.now() - timedelta(seconds=1))
    while True:
        _, state = session_services.session_next(study=study, user=user)
        if not state["tasks"]:
            break
        if state["break_seconds_left"]:
            Enrolment.objects.filter(pk=enrolment.pk).update(break_until=timezone.now() - timedelta(seconds=1))
            continue
        vote(study, user, 4)
    enrolment.refresh_from_db()
    assert enrolment.phase == Phase.DONE and len(enrolment.completion_code) == 8
    assert RatingTask.objects.filter(study=study, annotator=user, kind="repeat").exists()
    assert Rating.objects.filter(rater=user, purpose="repeat").exists()


def test_failed_gold_checks_pause_the_annotator(qc_study, coordinator):
    study, (user, *_) = qc_study
    enrolment_services.enrolment_accept_instructions(
        enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
    for _ in range(4):
        vote(study, user, 4)
    # Gold after every image: the block holds all three gold items, so work is left once two have failed.
    config = StudyProtocol.objects.get(study=study).config
    protocol_services.protocol_publish(study=study, config={**config, "gold_every": 1}, by=coordinator)
    failures = 0
    while failures < 2:
        session_services.session_next(study=study, user=user)
        Enrolment.objects.filter(study=study, user=user).update(break_until=None)
        pending = RatingTask.objects.filter(study=study, annotator=user, status="pending")
        task = pending.order_by("priority", "position")[0]
        voting_services.rating_submit(task=task, user=user, score=1 if task.kind == "gold" else 4,
                                      client_id=uuid.uuid4())
        failures += task.kind == "gold"
    enrolment = Enrolment.objects.get(study=study, user=user)
    assert enrolment.paused and enrolment.pause_reason == "2 gold checks failed"
    with pytest.raises(DomainError, match="paused"):
        vote(study, user, 4)
    enrolment_services.enrolment_resume(enrolment=enrolment, by=coordinator)
    Enrolment.objects.filter(pk=enrolment.pk).update(break_until=None)
    session_services.session_next(study=study, user=user)
    vote(study, user, 4)


def api(client, study, body):
    return client.post(f"/api/annotation/studies/{study.pk}/ratings/", body, content_type="application/json")


def test_api_refuses_bad_input_and_stores_nothing(client, coordinator, make_user, tmp_path):
    study, (user, other, _) = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "i",
                                             raters_per_stimulus=2)
    for person in (user, other):
        enrolment_services.enrolment_accept_instructions(
            enrolment=enrolment_services.enrolment_get_or_start(study=study, user=person))
        session_services.session_next(study=study, user=person)
    mine = RatingTask.objects.filter(study=study, annotator=user, status="pending").order_by("position")[0]
    theirs = RatingTask.objects.filter(study=study, annotator=other).first()
    client.force_login(user)
    body = {"task_id": mine.pk, "client_id": str(uuid.uuid4()), "score": 4, "deductions": {"noise": "moderate"}}
    cases = [
        ({**body, "score": 7}, 400, "off the scale"),
        ({**body, "score": 0}, 400, "off the scale"),
        ({**body, "score": 2.5}, 400, "not one of the scale's values"),
        ({**body, "score": 1}, 400, "say in one line why"),
        ({**body, "deductions": {"noise": "awful"}}, 400, "Unknown severity"),
        ({**body, "task_id": theirs.pk}, 403, "not assigned to you"),
        ({**body, "client_id": "not-a-uuid"}, 400, "UUID"),
    ]
    for payload, status, message in cases:
        response = api(client, study, payload)
        assert response.status_code == status and message in response.content.decode(), payload
    assert Rating.objects.count() == 0
    assert api(client, study, body).status_code == 201
    assert api(client, study, body).status_code == 200, "a replay returns the stored vote"
    assert api(client, study, {**body, "score": 3, "reason": "x"}).status_code == 400, "a forged replay is refused"
    second = RatingTask.objects.filter(study=study, annotator=user, status="pending").order_by("position")[0]
    forged = api(client, study, {**body, "task_id": second.pk})
    assert forged.status_code == 400 and "already used" in forged.content.decode()
    assert Rating.objects.count() == 1
    Enrolment.objects.filter(study=study, user=user).update(paused=True, pause_reason="gold checks failed")
    paused = api(client, study, {**body, "task_id": second.pk, "client_id": str(uuid.uuid4())})
    assert paused.status_code == 400 and "paused" in paused.json()["detail"]
    Enrolment.objects.filter(study=study, user=user).update(paused=False)
    Study.objects.filter(pk=study.pk).update(status=Study.Status.CLOSED)
    closed = api(client, study, {**body, "task_id": second.pk, "client_id": str(uuid.uuid4())})
    assert closed.status_code == 400 and "closed" in closed.json()["detail"]
    assert Rating.objects.count() == 1
    client.force_login(coordinator)
    assert api(client, study, body).status_code == 403, "coordinators do not vote"
