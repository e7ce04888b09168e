"""A paused annotator (failed qualification) is mailed to the coordinators and shown on their page."""
import uuid

import pytest
from django.core import mail

from annotation import enrolment_services, voting_services
from annotation.models import Enrolment, RatingTask
from studies import services as study_services
from studies.models import Membership
from tests.annotation.helpers import protocol_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def qualifying(coordinator, make_user, tmp_path):
    coordinator.email = "coord@example.org"
    coordinator.save()
    second = make_user("second-coord", email="second@example.org")
    study, users = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "img",
                                  qualification=2, config={"qualification_threshold": 0.5})
    study_services.membership_add(study=study, user=second, role=Membership.Role.COORDINATOR)
    study_services.membership_add(study=study, user=make_user("no-address"), role=Membership.Role.COORDINATOR)
    user = users[0]
    enrolment_services.enrolment_accept_instructions(
        enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
    return study, user


def vote_all_pending(study, user, score):
    while task := RatingTask.objects.filter(study=study, annotator=user, status="pending").first():
        voting_services.rating_submit(task=task, user=user, score=score, client_id=uuid.uuid4())


def test_failing_qualification_mails_every_coordinator_once_the_vote_is_stored(
    qualifying, django_capture_on_commit_callbacks
):
    study, user = qualifying
    with django_capture_on_commit_callbacks(execute=True):
        vote_all_pending(study, user, score=1)  # the reference is 4 with tolerance 0.5: both miss
    assert Enrolment.objects.get(study=study, user=user).paused
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["coord@example.org", "second@example.org"]
    assert user.username in message.subject and study.name in message.subject
    assert "qualification not passed: 0% within tolerance, 50% needed" in message.body
    assert f"/studies/{study.pk}/annotation/" in message.body


def test_passing_qualification_mails_nobody(qualifying, django_capture_on_commit_callbacks):
    study, user = qualifying
    with django_capture_on_commit_callbacks(execute=True):
        vote_all_pending(study, user, score=4)
    assert Enrolment.objects.get(study=study, user=user).phase == Enrolment.Phase.RATING
    assert mail.outbox == []


def test_the_overview_lists_the_paused_annotator_until_resumed(qualifying, client, coordinator, make_user, tmp_path):
    study, user = qualifying
    vote_all_pending(study, user, score=1)
    enrolment = Enrolment.objects.get(study=study, user=user)
    client.force_login(coordinator)
    page = client.get(f"/studies/{study.pk}/annotation/").content.decode()
    assert "Paused annotators (1)" in page and "qualification not passed" in page
    resumed = client.post(f"/studies/{study.pk}/enrolments/{enrolment.pk}/resume/")
    assert resumed.status_code == 302
    enrolment.refresh_from_db()
    assert not enrolment.paused and enrolment.phase == Enrolment.Phase.RATING
    assert "Paused annotators" not in client.get(f"/studies/{study.pk}/annotation/").content.decode()
    other, _ = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "other", slug="other",
                              annotators=0)
    assert client.post(f"/studies/{other.pk}/enrolments/{enrolment.pk}/resume/").status_code == 404, \
        "an enrolment of another study is not found through this one"
