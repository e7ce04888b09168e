"""The server's half of a rating page that protects the data: the minimum viewing time, the reason rule on the exact
suggestion, the annotator's own progress, and the home page's end state."""
import uuid

import pytest

from annotation import enrolment_services, session_services, voting_services
from annotation.models import RatingTask
from common.errors import DomainError
from moslab_science.rating.protocol import ProtocolError, protocol_from_dict
from studies.models import Rating
from tests.annotation.helpers import protocol_study

pytestmark = pytest.mark.django_db


def rating_study(coordinator, make_user, tmp_path, *, images=3, annotators=1, raters=1, **config):
    study, users = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "img",
                                  sources=images, per_source=1, annotators=annotators, raters_per_stimulus=raters,
                                  config={"break_seconds": 0, **config})
    for user in users:
        enrolment_services.enrolment_accept_instructions(
            enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
    return study, users


def vote_body(task_id, **given):
    return {"task_id": task_id, "client_id": str(uuid.uuid4()), "score": 4, **given}


@pytest.mark.parametrize("value", [31, -1, True, "3", None])
def test_the_minimum_viewing_time_is_bounded(value):
    with pytest.raises(ProtocolError, match="min_viewing_seconds is a number of seconds from 0 .off. to 30"):
        protocol_from_dict({"min_viewing_seconds": value}, scale_min=1, scale_max=5)


def test_a_vote_sooner_than_the_minimum_viewing_time_is_refused_with_what_to_do(client, coordinator, make_user,
                                                                              tmp_path):
    study, (user,) = rating_study(coordinator, make_user, tmp_path, min_viewing_seconds=3)
    client.force_login(user)
    task_id = client.get(f"/api/annotation/studies/{study.pk}/queue/").json()["tasks"][0]["id"]
    url = f"/api/annotation/studies/{study.pk}/ratings/"
    for given, said in (({"response_time_ms": 1200}, "came 1.2 s after the item was shown"),
                        ({}, "does not say how long the item was shown")):
        response = client.post(url, vote_body(task_id, **given), content_type="application/json")
        assert response.status_code == 400
        assert f"Look at each item for at least 3 s before rating it; this vote {said}" in response.json()["detail"]
    assert Rating.objects.count() == 0 and RatingTask.objects.get(pk=task_id).status == RatingTask.Status.PENDING
    response = client.post(url, vote_body(task_id, response_time_ms=3000), content_type="application/json")
    assert response.status_code == 201
    assert Rating.objects.get().response_time_ms == 3000, "the viewing time is stored with the vote"


def test_without_a_minimum_any_viewing_time_is_accepted(coordinator, make_user, tmp_path):
    study, (user,) = rating_study(coordinator, make_user, tmp_path)
    task = RatingTask.objects.get(pk=session_services.session_next(study=study, user=user)[1]["tasks"][0]["id"])
    voting_services.rating_submit(task=task, user=user, client_id=uuid.uuid4(), score=4, response_time_ms=None)
    assert Rating.objects.count() == 1


def test_a_score_within_half_a_point_of_the_exact_suggestion_needs_no_reason(coordinator, make_user, tmp_path):
    study, (user,) = rating_study(coordinator, make_user, tmp_path, images=2)
    tasks = session_services.session_next(study=study, user=user)[1]["tasks"]
    slight = {"noise": "slight"}  # 5 - 0.5 = 4.5: both 4 and 5 are within half a point
    first = RatingTask.objects.get(pk=tasks[0]["id"])
    voting_services.rating_submit(task=first, user=user, client_id=uuid.uuid4(), score=4, deductions=slight)
    assert Rating.objects.get().suggested_score == 4.5
    second = RatingTask.objects.get(pk=tasks[1]["id"])
    with pytest.raises(DomainError, match="Your score 3 differs from the guideline's 4.5"):
        voting_services.rating_submit(task=second, user=user, client_id=uuid.uuid4(), score=3, deductions=slight)


def test_the_state_counts_your_own_images_and_those_still_open_to_you(client, coordinator, make_user, tmp_path):
    study, (user, other) = rating_study(coordinator, make_user, tmp_path, images=5, annotators=2, block_size=2)
    client.force_login(other)
    client.get(f"/api/annotation/studies/{study.pk}/queue/")  # the other annotator claims a block of 2
    client.force_login(user)
    state = client.get(f"/api/annotation/studies/{study.pk}/queue/").json()
    assert state["progress"]["yours"]["rating"] == {"done": 0, "total": 2}
    assert state["progress"]["open_to_you"] == 1, "5 images, 2 held by the other, 2 by you"
    body = vote_body(state["tasks"][0]["id"], score=5)
    answer = client.post(f"/api/annotation/studies/{study.pk}/ratings/", body, content_type="application/json").json()
    assert answer["state"]["progress"]["yours"]["rating"] == {"done": 1, "total": 2}
    assert "open_to_you" not in answer["state"]["progress"], "a vote's answer leaves out the whole-study count"


def test_the_home_card_offers_rating_only_while_something_is_left(client, coordinator, make_user, tmp_path):
    study, (user,) = rating_study(coordinator, make_user, tmp_path, images=1)
    client.force_login(user)
    assert "Rate images" in client.get("/").content.decode()
    task_id = client.get(f"/api/annotation/studies/{study.pk}/queue/").json()["tasks"][0]["id"]
    client.post(f"/api/annotation/studies/{study.pk}/ratings/", vote_body(task_id), content_type="application/json")
    assert "Thank you" in client.get(f"/studies/{study.pk}/rate/").content.decode()
    home = client.get("/").content.decode()
    assert "Rate images" not in home and "All your images are rated" in home and "completion code" in home
    done = RatingTask.objects.get(pk=task_id)
    RatingTask.objects.create(study=study, stimulus=done.stimulus, annotator=user, kind="relabel", round=1,
                              position=99, priority=0)
    assert "Rate images" in client.get("/").content.decode(), "a relabel asked of a finished annotator"
