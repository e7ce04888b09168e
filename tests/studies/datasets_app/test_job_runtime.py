"""The one job runtime (common.jobs) on dataset exports, in process: attempts, the lease, the sweep, cancel,
and what the version page shows. The worker-kill tests are in tests/challenges/test_job_recovery.py."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from common import jobs
from common.models import JobStatus
from studies.datasets import services as dataset_services
from studies.models import DatasetExport

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(rated_study, coordinator):
    return dataset_services.dataset_version_create(study=rated_study, by=coordinator)


@pytest.fixture
def sent(monkeypatch):
    """The messages the sweep sends, as (export id, attempt): the broker is not what these tests are about."""
    messages = []
    recording = jobs.JobKind(DatasetExport, lambda pk, attempt: messages.append((pk, attempt)))
    monkeypatch.setattr(jobs, "KINDS", [recording if kind.model is DatasetExport else kind for kind in jobs.KINDS])
    return messages


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """One sweep, its messages sent as they are after its transactions commit."""
    def run() -> list[str]:
        with django_capture_on_commit_callbacks(execute=True):
            return jobs.jobs_sweep()
    return run


def queued(version, coordinator) -> DatasetExport:
    return dataset_services.dataset_export_start(version=version, export_format="table_csv", by=coordinator,
                                                 enqueue=False)


def silent(export: DatasetExport, *, status: str, seconds: float, worker: str = "w1@host") -> None:
    """The row as a worker that went silent `seconds` ago leaves it."""
    DatasetExport.objects.filter(pk=export.pk).update(status=status, worker=worker,
                                                      heartbeat_at=timezone.now() - timedelta(seconds=seconds))


def test_a_message_of_another_attempt_is_skipped_and_an_attempt_never_runs_twice(version, coordinator):
    export = queued(version, coordinator)
    assert dataset_services.dataset_export_run(export_id=export.pk, attempt=2).status == JobStatus.QUEUED
    done = dataset_services.dataset_export_run(export_id=export.pk, attempt=1, worker="w1@host")
    assert (done.status, done.attempt, done.worker, done.progress) == (JobStatus.SUCCEEDED, 1, "w1@host", 1.0)
    again = dataset_services.dataset_export_run(export_id=export.pk, attempt=1, worker="w2@host")
    assert again.worker == "w1@host" and again.finished_at == done.finished_at, "the same attempt ran twice"


def test_the_sweep_requeues_a_silent_running_job_then_fails_it_when_its_attempts_are_spent(
        version, coordinator, settings, sent, sweep):
    settings.MOSLAB_JOB_LEASE_SECONDS, settings.MOSLAB_JOB_MAX_ATTEMPTS = 60, 2
    export = queued(version, coordinator)
    silent(export, status=JobStatus.RUNNING, seconds=30)
    assert sweep() == [] and sent == [], "a beat within the lease: the worker is alive"
    silent(export, status=JobStatus.RUNNING, seconds=61)
    lines = sweep()
    export.refresh_from_db()
    assert lines == [f"DatasetExport {export.pk}: {export.error}"]
    assert (export.status, export.attempt, sent) == (JobStatus.QUEUED, 2, [(export.pk, 2)])
    assert "attempt 1 lost: worker w1@host stopped" in export.error and "queued again as attempt 2" in export.error
    assert sweep() == [], "a job just queued again is not swept again within the lease"
    silent(export, status=JobStatus.RUNNING, seconds=61, worker="w2@host")
    sweep()
    export.refresh_from_db()
    assert export.status == JobStatus.FAILED and export.finished_at and sent == [(export.pk, 2)]
    assert export.error.startswith("attempt 2 lost: worker w2@host stopped")
    assert export.error.endswith("gave up after 2 of 2 attempts (MOSLAB_JOB_MAX_ATTEMPTS).")


def test_a_queued_job_nobody_took_within_the_lease_gets_its_message_again(
        version, coordinator, settings, sent, sweep):
    settings.MOSLAB_JOB_LEASE_SECONDS = 60
    export = queued(version, coordinator)
    assert sweep() == []
    silent(export, status=JobStatus.QUEUED, seconds=61, worker="")
    sweep()
    assert sent == [(export.pk, 1)] and DatasetExport.objects.get(pk=export.pk).status == JobStatus.QUEUED
    done = dataset_services.dataset_export_run(export_id=export.pk, attempt=1)
    assert done.status == JobStatus.SUCCEEDED


def test_an_attempt_that_lost_its_row_to_the_sweep_stores_nothing(version, coordinator):
    export = queued(version, coordinator)
    claimed = jobs.job_claim(DatasetExport, job_id=export.pk, attempt=1, worker="w1@host")
    DatasetExport.objects.filter(pk=export.pk).update(status=JobStatus.QUEUED, attempt=2)  # as the sweep does
    assert jobs.job_end(claimed, status=JobStatus.SUCCEEDED, sha256="x" * 64) is False
    row = DatasetExport.objects.get(pk=export.pk)
    assert (row.status, row.attempt, row.sha256) == (JobStatus.QUEUED, 2, "")


def test_cancel_ends_a_queued_export_at_once_and_stops_a_running_one_at_its_next_step(
        client, version, coordinator):
    first = queued(version, coordinator)
    client.force_login(coordinator)
    response = client.post(reverse("studies:dataset-export-cancel", args=[version.study_id, first.pk]))
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == JobStatus.CANCELLED and first.error == f"Cancelled by {coordinator} before it started."
    second = queued(version, coordinator)
    running = jobs.job_claim(DatasetExport, job_id=second.pk, attempt=1, worker="w1@host")
    dataset_services.dataset_export_cancel(export=second, by=coordinator)
    with pytest.raises(jobs.JobCancelled):
        jobs.job_progress(running, 0.5)
    page = client.get(reverse("studies:dataset-version", args=[version.study_id, version.pk])).content.decode()
    assert "cancel requested" in page and "attempt 1 · worker w1@host" in page
    assert f"Cancelled by {coordinator} before it started." in page


def test_the_page_says_since_when_a_queued_export_waits_and_why_an_attempt_was_lost(
        client, version, coordinator, settings, sent, sweep):
    settings.MOSLAB_JOB_LEASE_SECONDS = 60
    export = queued(version, coordinator)
    silent(export, status=JobStatus.RUNNING, seconds=61)
    sweep()
    client.force_login(coordinator)
    page = client.get(reverse("studies:dataset-version", args=[version.study_id, version.pk])).content.decode()
    assert "attempt 2" in page and "waiting for a worker since" in page
    assert "attempt 1 lost: worker w1@host stopped" in page


def test_progress_of_a_long_loop_is_stored_at_most_once_a_second(version, coordinator, django_assert_num_queries):
    """Each stored report is a write and a read (the cancel check); a loop over 20,000 files reports only when a
    second has passed, the first report at once."""
    export = jobs.job_claim(DatasetExport, job_id=queued(version, coordinator).pk, attempt=1, worker="w1@host")
    report = jobs.job_progress_every(export, seconds=60)
    with django_assert_num_queries(2):
        report(0.1)
        report(0.2)
        report(0.3)
    assert DatasetExport.objects.get(pk=export.pk).progress == pytest.approx(0.1)
    DatasetExport.objects.filter(pk=export.pk).update(cancel_requested=True)
    with pytest.raises(jobs.JobCancelled):
        jobs.job_progress_every(export, seconds=60)(0.5)  # a cancel is seen at the next stored report
