"""Cancel, with a real worker, for MOS computations, participant bundles and submission scoring (common.jobs): a
queued job is cancelled at once and the worker skips its message (sent again here, as a late delivery would); a
running one stops at its next progress report and ends "cancelled"; the worker never writes over a cancelled row.

The worker pauses right after claiming (MOSLAB_JOB_PAUSE_AFTER_CLAIM), so the cancel lands while the row is running.
"""
import pytest

from challenges import services
from challenges.models import Submission
from challenges.submission_services import submission_submit
from common import jobs
from common.models import JobStatus
from studies import services as study_services
from studies.models import StimulusMos
from tests.conftest import token_client
from tests.worker import start_worker, stop_worker, wait_for

from .conftest import phase, predictions_csv
from .test_job_recovery import start_job

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def cancel_url(job) -> str:
    if isinstance(job, Submission):
        return f"/api/challenges/{job.phase.challenge.slug}/submissions/{job.pk}/cancel/"
    if hasattr(job, "challenge"):
        return f"/api/challenges/{job.challenge.slug}/bundle/cancel/"
    return f"/api/studies/{job.study_id}/mos/{job.pk}/cancel/"


def asker(job, coordinator):
    """Who cancels: the team member who submitted, else the coordinator."""
    return job.submitted_by if isinstance(job, Submission) else coordinator


def another(job, *, challenge, coordinator):
    """A second job of the same kind, queued now (the bundle: its row built again, as the next attempt)."""
    if isinstance(job, Submission):
        return submission_submit(phase=phase(challenge, "development"), by=job.submitted_by, filename="q.csv",
                                 content=predictions_csv("val", noise=3.0, seed=5))
    if hasattr(job, "challenge"):
        return services.bundle_rebuild(challenge=challenge, by=coordinator)
    return study_services.mos_computation_start(study=job.study, by=coordinator)


@pytest.mark.parametrize("kind", ["mos", "bundle", "submission"])
def test_a_queued_job_is_cancelled_at_once_and_a_running_one_at_its_next_step(
        kind, challenge, coordinator, make_user, media_root, tmp_path):
    for bundle in challenge.bundles.filter(status=JobStatus.QUEUED):  # the fixture's own download, built here
        services.bundle_build(bundle_id=bundle.pk)
    queued = start_job(kind, challenge=challenge, coordinator=coordinator, make_user=make_user, tmp_path=tmp_path)
    model = type(queued)
    client = token_client(asker(queued, coordinator))
    answer = client.post(cancel_url(queued))
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "cancelled" and answer.json()["cancel_requested"] is True
    assert model.objects.get(pk=queued.pk).error.endswith("before it started.")

    log = tmp_path / "worker.log"
    worker = start_worker(media_root=media_root, queues="default", log_path=log,
                          env={"MOSLAB_JOB_PAUSE_AFTER_CLAIM": "3"})  # the default lease: no sweep mid-pause
    try:
        next(kind for kind in jobs.KINDS if kind.model is model).send(queued.pk, 1)  # as if delivered late
        wait_for(lambda: "not queued at this attempt (cancelled, attempt 1); message skipped" in log.read_text(
            errors="replace"), what="the worker to skip the cancelled job's message")
        running = another(queued, challenge=challenge, coordinator=coordinator)
        wait_for(lambda: model.objects.get(pk=running.pk).status == JobStatus.RUNNING,
                 what=f"the worker to claim {kind}")
        answer = client.post(cancel_url(running))
        assert answer.status_code == 200, answer.content
        assert answer.json()["status"] == "running" and answer.json()["cancel_requested"] is True
        assert client.post(cancel_url(running)).json()["detail"].startswith("A cancel was asked for already")
        wait_for(lambda: model.objects.get(pk=running.pk).status != JobStatus.RUNNING, timeout=60,
                 what=f"the {kind} job to stop")
    finally:
        stop_worker(worker)
        print(log.read_text(errors="replace")[-3000:])
    running.refresh_from_db()
    assert running.status == JobStatus.CANCELLED, running.error
    assert running.error == f"Cancelled by {asker(queued, coordinator)}. Stopped while running.", running.error
    assert running.worker.startswith("test-") and running.finished_at is not None
    if kind == "mos":
        assert not StimulusMos.objects.filter(computation=running).exists()
    if kind == "submission":
        assert not running.scores
