"""The rating round trip (store a vote, bring the next task) stays a fixed, small number of queries."""
import uuid

import pytest

from annotation import enrolment_services
from annotation.models import QualityItem, RatingTask
from studies.models import Rating, Stimulus
from tests.annotation.helpers import protocol_study

pytestmark = pytest.mark.django_db

# session, user, task + stimulus lock (with the study, the annotator's membership and the client-id check),
# enrolment + protocol, insert, task update, enrolment update, cross-check counts, next tasks with the
# progress; plus the transaction's two savepoint statements inside the test transaction.
QUERIES_PER_VOTE = 11


@pytest.fixture
def rating_client(client, coordinator, make_user, tmp_path):
    study, users = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "i", sources=4,
                                  per_source=3, annotators=2, gold=1,
                                  raters_per_stimulus=2, config={"block_size": 6, "break_seconds": 0})
    user = users[0]
    enrolment_services.enrolment_accept_instructions(
        enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
    client.force_login(user)
    state = client.get(f"/api/annotation/studies/{study.pk}/queue/").json()
    return client, study, user, state


def post_vote(client, study, task_id):
    body = {"task_id": task_id, "client_id": str(uuid.uuid4()), "score": 4, "deductions": {"noise": "moderate"},
            "response_time_ms": 1500, "display": {"viewport": [1280, 800], "device_pixel_ratio": 2}}
    response = client.post(f"/api/annotation/studies/{study.pk}/ratings/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()["state"]


def test_a_vote_in_the_middle_of_a_block_costs_a_fixed_number_of_queries(rating_client,
                                                                         django_assert_max_num_queries):
    client, study, user, state = rating_client
    state = post_vote(client, study, state["tasks"][0]["id"])  # warm: the first vote of a session
    for _ in range(3):
        with django_assert_max_num_queries(QUERIES_PER_VOTE):
            state = post_vote(client, study, state["tasks"][0]["id"])
    assert Rating.objects.filter(rater=user).count() == 4


def test_the_progress_in_each_answer_matches_the_tasks_done(rating_client):
    client, study, _, state = rating_client
    for _ in range(5):
        state = post_vote(client, study, state["tasks"][0]["id"])
        done = RatingTask.objects.filter(study=study, kind="rating", status="done").count()
        quality = QualityItem.objects.filter(study=study).values("stimulus_id")
        rated_images = Stimulus.objects.filter(study=study).exclude(pk__in=quality).count()
        assert state["progress"]["study_done"] == done
        assert "study_total" not in state["progress"], "the page keeps the total it loaded with"
    total = client.get(f"/api/annotation/studies/{study.pk}/queue/").json()["progress"]["study_total"]
    assert total == rated_images * study.raters_per_stimulus == 24
