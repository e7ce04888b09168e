"""What the challenge and MOS pages show of their jobs (attempt, worker, reason), and their Cancel and Build again
buttons, in process. The real-worker cancel tests are in test_job_cancel.py."""
import pytest
from django.urls import reverse

from challenges import services
from challenges.selectors import submission_quota
from challenges.submission_services import submission_submit
from common import jobs
from common.models import JobStatus
from studies import services as study_services

from .conftest import phase, predictions_csv
from .test_job_recovery import rated_study as rated

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(challenge):
    for bundle in challenge.bundles.filter(status=JobStatus.QUEUED):
        services.bundle_build(bundle_id=bundle.pk, worker="w1@host")
    return challenge


def page_of(client, user, challenge) -> str:
    client.force_login(user)
    return client.get(reverse("challenges:detail", args=[challenge.slug])).content.decode()


def test_a_team_sees_the_attempt_worker_and_reason_of_its_scoring_and_can_cancel_it(client, built, team_users):
    lead = team_users[0]
    submission = submission_submit(phase=phase(built, "development"), by=lead, filename="p.csv",
                                   content=predictions_csv("val", noise=2.0))
    claimed = jobs.job_claim(type(submission), job_id=submission.pk, attempt=1, worker="scorer@node-3")
    page = page_of(client, lead, built)
    assert "attempt 1 · worker scorer@node-3" in page
    assert reverse("challenges:submission-cancel", args=[built.slug, submission.pk]) in page

    response = client.post(reverse("challenges:submission-cancel", args=[built.slug, submission.pk]))
    assert response.status_code == 302
    page = page_of(client, lead, built)
    assert "cancel requested" in page and f"Cancelled by {lead}." in page
    assert reverse("challenges:submission-cancel", args=[built.slug, submission.pk]) not in page
    with pytest.raises(jobs.JobCancelled):
        jobs.job_progress(claimed, 0.5)

    other = team_users[1]  # another team cannot cancel it, and its page says nothing of it
    client.force_login(other)
    assert client.post(reverse("challenges:submission-cancel", args=[built.slug, submission.pk])).status_code == 404
    assert "scorer@node-3" not in page_of(client, other, built)


def test_a_cancelled_scoring_counts_against_no_limit(built, team_users):
    lead = team_users[0]
    development = phase(built, "development")
    submission = submission_submit(phase=development, by=lead, filename="p.csv",
                                   content=predictions_csv("val", noise=2.0))
    assert submission_quota(phase=development, team_id=submission.team_id).used_total == 1
    jobs.job_cancel(submission, by=lead)
    assert submission_quota(phase=development, team_id=submission.team_id).used_total == 0


def test_organisers_see_the_download_build_and_cancel_or_build_it_again(client, built, coordinator, team_users):
    services.challenge_update(challenge=built, by=coordinator, title="IQA Challenge 2025, second edition")
    bundle = built.bundles.get(status=JobStatus.QUEUED)
    page = page_of(client, coordinator, built)
    assert "Participants' download" in page and "waiting for a worker since" in page
    client.post(reverse("challenges:bundle-cancel", args=[built.slug]))
    bundle.refresh_from_db()
    assert bundle.status == JobStatus.CANCELLED
    page = page_of(client, coordinator, built)
    assert f"Cancelled by {coordinator} before it started." in page
    assert reverse("challenges:bundle-rebuild", args=[built.slug]) in page

    client.post(reverse("challenges:bundle-rebuild", args=[built.slug]))
    bundle.refresh_from_db()
    assert (bundle.status, bundle.attempt, bundle.cancel_requested) == (JobStatus.QUEUED, 2, False)
    done = services.bundle_build(bundle_id=bundle.pk, attempt=2, worker="w2@host")
    assert done.status == JobStatus.SUCCEEDED and done.sha256
    assert "attempt 2 · worker w2@host" in page_of(client, coordinator, built)

    lead = team_users[0]  # a participant cannot cancel or rebuild the download, nor see its build
    client.force_login(lead)
    assert client.post(reverse("challenges:bundle-cancel", args=[built.slug])).status_code == 404
    assert built.bundles.get(pk=bundle.pk).status == JobStatus.SUCCEEDED
    assert "w2@host" not in page_of(client, lead, built)


def test_the_mos_page_cancels_a_running_computation(client, coordinator, make_user, tmp_path):
    rated_study = rated(coordinator, make_user, tmp_path)
    computation = study_services.mos_computation_start(study=rated_study, by=coordinator)
    claimed = jobs.job_claim(type(computation), job_id=computation.pk, attempt=1, worker="w1@host")
    client.force_login(coordinator)
    detail = reverse("studies:mos-detail", args=[rated_study.pk, computation.pk])
    assert reverse("studies:mos-cancel", args=[rated_study.pk, computation.pk]) in client.get(detail).content.decode()
    client.post(reverse("studies:mos-cancel", args=[rated_study.pk, computation.pk]))
    page = client.get(detail).content.decode()
    assert "cancel requested" in page and reverse("studies:mos-cancel", args=[rated_study.pk, computation.pk]) \
        not in page
    with pytest.raises(jobs.JobCancelled):
        jobs.job_progress(claimed, 0.3)
    jobs.job_end(claimed, status=JobStatus.CANCELLED, error="Cancelled. Stopped while running.")
    assert "Cancelled. Stopped while running." in client.get(detail).content.decode()
