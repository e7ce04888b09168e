"""Every kind of job survives a SIGKILL of its worker: resumed as the next attempt by another worker, or failed
with the reason once its attempts are spent; no row is left running (common.jobs).

The first worker pauses right after claiming a job (MOSLAB_JOB_PAUSE_AFTER_CLAIM, test settings only), so the
kill lands mid-job at a known point. Training runs have their own worker-kill tests (tests/modeling/runs).
"""
import uuid

import pytest

from challenges import services
from challenges.models import ParticipantBundle, Submission
from challenges.submission_services import submission_submit
from common.models import JobStatus
from modeling.models import TrainingRun
from studies import services as study_services
from studies.datasets import services as dataset_services
from studies.models import DatasetExport, Membership, MosComputation
from tests.conftest import write_image
from tests.worker import start_worker, stop_worker, wait_for

from .conftest import phase, predictions_csv

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
FAST = {"MOSLAB_JOB_HEARTBEAT_SECONDS": "0.5", "MOSLAB_JOB_LEASE_SECONDS": "3", "MOSLAB_JOB_SWEEP_SECONDS": "1"}
JOB_MODELS = (MosComputation, DatasetExport, ParticipantBundle, Submission, TrainingRun)


def rated_study(coordinator, make_user, folder):
    study = study_services.study_create(name="Rated", slug="rated", created_by=coordinator, raters_per_stimulus=2)
    for index in range(4):
        write_image(folder / f"s{index}.png", seed=index)
    study_services.stimuli_import(study=study, source=folder)
    study.status = study.Status.OPEN
    study.save()
    for number in range(2):
        rater = make_user(f"rater{number}")
        study_services.membership_add(study=study, user=rater, role=Membership.Role.ANNOTATOR)
        for score, stimulus in enumerate(study.stimuli.order_by("name"), start=1):
            study_services.rating_record(study=study, stimulus=stimulus, rater=rater, score=score,
                                         client_id=uuid.uuid4(), details={"verified": True})
    return study


def start_job(kind, *, challenge, coordinator, make_user, tmp_path):
    """Queue one job of `kind` (its message is sent when this returns) and give its row."""
    if kind == "mos":
        study = rated_study(coordinator, make_user, tmp_path / "rated")
        return study_services.mos_computation_start(study=study, by=coordinator)
    if kind == "export":
        return dataset_services.dataset_export_start(version=challenge.version, export_format="bundle",
                                                     by=coordinator)
    if kind == "bundle":
        services.challenge_update(challenge=challenge, by=coordinator, title="IQA Challenge 2025, second edition")
        return challenge.bundles.get(status=JobStatus.QUEUED)
    lead = make_user("lead")
    services.participant_register(challenge=challenge, user=lead, accept_terms=True)
    services.team_create(challenge=challenge, name="Alpha", by=lead)
    return submission_submit(phase=phase(challenge, "development"), by=lead, filename="p.csv",
                             content=predictions_csv("val", noise=2.0))


@pytest.mark.parametrize("kind, attempts, outcome", [
    ("mos", 3, JobStatus.SUCCEEDED), ("export", 3, JobStatus.SUCCEEDED), ("bundle", 3, JobStatus.SUCCEEDED),
    ("submission", 3, JobStatus.SUCCEEDED), ("export", 1, JobStatus.FAILED),
])
def test_a_job_whose_worker_is_killed_resumes_or_fails_with_the_reason(
        kind, attempts, outcome, challenge, coordinator, make_user, media_root, tmp_path):
    for bundle in challenge.bundles.filter(status=JobStatus.QUEUED):  # the fixture's own downloads, built here
        services.bundle_build(bundle_id=bundle.pk)
    log = tmp_path / "worker.log"
    env = {**FAST, "MOSLAB_JOB_MAX_ATTEMPTS": str(attempts)}
    first = start_worker(media_root=media_root, queues="default", log_path=log,
                         env={**env, "MOSLAB_JOB_PAUSE_AFTER_CLAIM": "120"})
    try:
        job = start_job(kind, challenge=challenge, coordinator=coordinator, make_user=make_user, tmp_path=tmp_path)
        model = type(job)
        wait_for(lambda: model.objects.get(pk=job.pk).status == JobStatus.RUNNING, what=f"the worker to claim {kind}")
    finally:
        first.kill()  # SIGKILL mid-job: no clean-up, the row says running
        first.wait()
    killed = model.objects.get(pk=job.pk)
    assert killed.status == JobStatus.RUNNING and killed.attempt == 1 and killed.worker.startswith("test-")
    second = start_worker(media_root=media_root, queues="default", log_path=log, env=env)
    try:
        wait_for(lambda: model.objects.get(pk=job.pk).status in (JobStatus.SUCCEEDED, JobStatus.FAILED),
                 timeout=120, what=f"another worker to recover the {kind} job")
    finally:
        stop_worker(second)
        print(log.read_text(errors="replace")[-3000:])
    job.refresh_from_db()
    assert job.status == outcome, job.error
    lost = f"attempt 1 lost: worker {killed.worker} stopped (last heartbeat "
    assert job.error.startswith(lost), job.error
    if outcome == JobStatus.SUCCEEDED:
        assert job.attempt == 2 and "queued again as attempt 2" in job.error
        assert job.worker.startswith("test-") and job.worker != killed.worker and job.progress == 1.0
    else:
        assert job.attempt == 1 and job.error.endswith("gave up after 1 of 1 attempts (MOSLAB_JOB_MAX_ATTEMPTS).")
    assert not [row for model in JOB_MODELS for row in model.objects.filter(status=JobStatus.RUNNING)]
