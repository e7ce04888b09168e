"""Headless Chromium: a team cancels the scoring of its submission and an organiser cancels and rebuilds the
participants' download, on the challenge page, which shows each job's attempt, worker and reason (screenshots)."""
import pytest

from challenges import services, tasks
from challenges.models import Submission
from challenges.submission_services import submission_submit
from common import jobs
from common.models import JobStatus
from tests.browser.conftest import screenshot
from tests.challenges.conftest import challenge, dataset_version, phase, predictions_csv, team_users  # noqa: F401
from tests.challenges.web import built_bundle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cancel_and_build_again_on_the_challenge_page(page_for, live_server, challenge, team_users,  # noqa: F811
                                                      coordinator, monkeypatch):
    monkeypatch.setattr(tasks.submission_score_task, "delay", lambda **_message: None)  # no worker: stays queued
    monkeypatch.setattr(tasks.bundle_build_task, "delay", lambda **_message: None)
    built_bundle(challenge)
    lead = team_users[0]
    entry = submission_submit(phase=phase(challenge, "development"), by=lead, filename="alpha-val.csv",
                              content=predictions_csv("val", noise=0.4))
    jobs.job_claim(Submission, job_id=entry.pk, attempt=1, worker="celery@scorer-1")

    page = page_for(lead)
    page.goto(f"{live_server.url}/challenges/{challenge.slug}/")
    history = page.locator(f"#phase-{entry.phase_id} .history")
    assert "attempt 1 · worker celery@scorer-1" in history.inner_text()
    history.locator("button", has_text="Cancel").click()
    page.wait_for_selector("text=cancel requested")
    assert f"Cancelled by {lead}." in history.inner_text() and history.locator("button").count() == 0
    screenshot(page, "challenge-submission-cancel")

    services.challenge_update(challenge=challenge, by=coordinator, title="IQA Challenge 2025, second edition")
    organiser = page_for(coordinator)
    organiser.goto(f"{live_server.url}/challenges/{challenge.slug}/")
    build = organiser.locator("#bundle-build")
    assert "Queued" in build.inner_text() and "waiting for a worker since" in build.inner_text()
    build.locator("button", has_text="Cancel").click()
    organiser.wait_for_selector("#bundle-build >> text=Build again")
    assert "Cancelled" in build.inner_text() and f"Cancelled by {coordinator} before it started." in build.inner_text()
    build.locator("button", has_text="Build again").click()
    organiser.wait_for_selector("#bundle-build >> text=attempt 2")
    screenshot(organiser, "challenge-bundle-rebuild")
    assert challenge.bundles.order_by("-created_at", "-pk").first().status == JobStatus.QUEUED
