"""Scoping: nobody reaches a study they have no role in, annotators never see ratings or MOS."""
import uuid

import pytest

from annotation import assignment_services
from annotation.models import RatingTask
from studies import services
from studies.models import Membership, MosComputation, Rating

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_study(make_user, tmp_path):
    from tests.conftest import write_image

    owner = make_user("other-coord")
    study = services.study_create(name="Other", slug="other", created_by=owner, raters_per_stimulus=1)
    services.stimuli_import(study=study, source=write_image(tmp_path / "o" / "x.png", seed=9).parent)
    return study


def test_annotator_cannot_reach_another_study(client, open_study, annotators, other_study):
    client.force_login(annotators[0])
    stimulus = other_study.stimuli.get()
    for url in [
        f"/studies/{other_study.pk}/",
        f"/studies/{other_study.pk}/rate/",
        f"/studies/{other_study.pk}/stimuli/{stimulus.pk}/image",
        f"/studies/{open_study.pk}/stimuli/{stimulus.pk}/image",  # right study id, wrong stimulus
    ]:
        assert client.get(url).status_code == 404, url
    assert "Other" not in client.get("/").content.decode()


def test_annotator_cannot_see_ratings_or_mos(client, open_study, annotators, coordinator):
    computation = MosComputation.objects.create(study=open_study, requested_by=coordinator)
    client.force_login(annotators[0])
    for url in [
        f"/studies/{open_study.pk}/",
        f"/studies/{open_study.pk}/mos/{computation.pk}/",
        f"/studies/{open_study.pk}/mos/{computation.pk}.csv",
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/studies/{open_study.pk}/mos/", {"method": "mean"}).status_code == 404
    assert MosComputation.objects.count() == 1


def test_annotator_cannot_submit_another_users_task(client, open_study, annotators):
    assignment_services.assignment_create(study=open_study, seed=1)
    theirs = RatingTask.objects.filter(study=open_study, annotator=annotators[1]).first()
    client.force_login(annotators[0])
    response = client.post(
        f"/api/annotation/studies/{open_study.pk}/ratings/",
        {"task_id": theirs.pk, "client_id": str(uuid.uuid4()), "score": 3},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert Rating.objects.count() == 0


def test_api_submit_and_replay(client, open_study, annotators):
    assignment_services.assignment_create(study=open_study, seed=1)
    mine = RatingTask.objects.filter(study=open_study, annotator=annotators[0]).first()
    client.force_login(annotators[0])
    body = {"task_id": mine.pk, "client_id": str(uuid.uuid4()), "score": 4, "response_time_ms": 900}
    url = f"/api/annotation/studies/{open_study.pk}/ratings/"
    assert client.post(url, body, content_type="application/json").status_code == 201
    assert client.post(url, body, content_type="application/json").status_code == 200
    second_vote = {**body, "client_id": str(uuid.uuid4()), "score": 2}
    response = client.post(url, second_vote, content_type="application/json")
    assert response.status_code == 400 and "already" in response.json()["detail"]
    assert Rating.objects.count() == 1


def test_researcher_reads_but_cannot_start_mos(client, open_study, make_user):
    researcher = make_user("res")
    services.membership_add(study=open_study, user=researcher, role=Membership.Role.RESEARCHER)
    client.force_login(researcher)
    assert client.get(f"/studies/{open_study.pk}/").status_code == 200
    assert client.post(f"/studies/{open_study.pk}/mos/", {"method": "mean"}).status_code == 404
    assert MosComputation.objects.count() == 0


def test_anonymous_is_sent_to_login(client, open_study):
    response = client.get(f"/studies/{open_study.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response.url
