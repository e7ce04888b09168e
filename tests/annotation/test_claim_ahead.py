"""Claiming ahead: when a queue runs low, a worker claims the next block, so votes do not wait for claims."""
import uuid

import pytest

from annotation import enrolment_services, session_services
from annotation.assignment_services import CLAIM_AHEAD
from annotation.models import Enrolment, RatingTask
from studies import services as study_services
from studies.models import Membership, Study
from tests.annotation.helpers import protocol_study
from tests.worker import wait_for

BLOCK = 10


@pytest.fixture
def rater_study(coordinator, make_user, tmp_path):
    """30 images from 6 sources, one rater place each, blocks of 10, no breaks; one annotator past the instructions."""
    study, users = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "i", sources=6,
                                  per_source=5, annotators=1,
                                  raters_per_stimulus=1, config={"block_size": BLOCK, "break_seconds": 0})
    user = users[0]
    enrolment_services.enrolment_accept_instructions(
        enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
    return study, user


def pending(study, user) -> int:
    return RatingTask.objects.filter(study=study, annotator=user, status=RatingTask.Status.PENDING).count()


def vote(client, study, task_id) -> dict:
    body = {"task_id": task_id, "client_id": str(uuid.uuid4()), "score": 3, "response_time_ms": 900}
    response = client.post(f"/api/annotation/studies/{study.pk}/ratings/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()["state"]


@pytest.mark.django_db
def test_only_the_vote_that_leaves_claim_ahead_tasks_asks_for_a_background_claim(
    client, rater_study, django_capture_on_commit_callbacks,
):
    study, user = rater_study
    client.force_login(user)
    state = client.get(f"/api/annotation/studies/{study.pk}/queue/").json()
    assert pending(study, user) == BLOCK
    asked_after = []
    for _ in range(BLOCK - 1):
        with django_capture_on_commit_callbacks() as callbacks:  # not run: nothing is sent to the broker
            state = vote(client, study, state["tasks"][0]["id"])
        if callbacks:
            asked_after.append(pending(study, user))
    assert asked_after == [CLAIM_AHEAD]
    assert pending(study, user) == 1, "no block was claimed in a request while the queue still had tasks"


@pytest.mark.django_db
def test_a_refill_claims_one_block_only_while_the_queue_is_low(client, rater_study):
    study, user = rater_study
    client.force_login(user)
    state = client.get(f"/api/annotation/studies/{study.pk}/queue/").json()
    assert session_services.queue_refill(study_id=study.pk, user_id=user.pk) == 0, "a full queue gets nothing more"
    for _ in range(BLOCK - CLAIM_AHEAD):
        state = vote(client, study, state["tasks"][0]["id"])
    assert session_services.queue_refill(study_id=study.pk, user_id=user.pk) == BLOCK
    assert session_services.queue_refill(study_id=study.pk, user_id=user.pk) == 0, "a repeated message adds nothing"
    assert pending(study, user) == CLAIM_AHEAD + BLOCK
    claimed = RatingTask.objects.filter(study=study, kind="rating").values_list("stimulus_id", flat=True)
    assert len(set(claimed)) == len(claimed) == 2 * BLOCK


@pytest.mark.django_db
@pytest.mark.parametrize("stop", ["paused", "closed", "not enrolled"])
def test_a_refill_claims_nothing_for_an_annotator_who_may_not_rate(client, rater_study, make_user, stop):
    study, user = rater_study
    client.force_login(user)
    state = client.get(f"/api/annotation/studies/{study.pk}/queue/").json()
    for _ in range(BLOCK - CLAIM_AHEAD):
        state = vote(client, study, state["tasks"][0]["id"])
    if stop == "paused":
        Enrolment.objects.filter(study=study, user=user).update(paused=True, pause_reason="gold checks")
    elif stop == "closed":
        Study.objects.filter(pk=study.pk).update(status=Study.Status.CLOSED)
    else:
        user = make_user("member-without-enrolment")
        study_services.membership_add(study=study, user=user, role=Membership.Role.ANNOTATOR)
    assert session_services.queue_refill(study_id=study.pk, user_id=user.pk) == 0
    assert RatingTask.objects.filter(study=study).count() == BLOCK


def test_a_real_worker_claims_the_next_block_before_the_queue_runs_dry(
    client, rater_study, celery_worker_process,
):
    study, user = rater_study
    client.force_login(user)
    state = client.get(f"/api/annotation/studies/{study.pk}/queue/").json()
    for _ in range(BLOCK - CLAIM_AHEAD):
        state = vote(client, study, state["tasks"][0]["id"])
    wait_for(lambda: pending(study, user) == CLAIM_AHEAD + BLOCK, timeout=60, what="the worker to claim a block")
    for _ in range(CLAIM_AHEAD + BLOCK - CLAIM_AHEAD):  # down to CLAIM_AHEAD again: the last 10 images
        state = vote(client, study, state["tasks"][0]["id"])
    wait_for(lambda: pending(study, user) == CLAIM_AHEAD + BLOCK, timeout=60, what="the third block")
    while state["tasks"]:
        state = vote(client, study, state["tasks"][0]["id"])
    assert state["phase"] == "done"
    votes = RatingTask.objects.filter(study=study, annotator=user, status="done").values_list("stimulus_id", flat=True)
    assert len(set(votes)) == len(votes) == 30
