"""Celery tasks (default queue): ids in, one service call; each message carries its job's attempt."""
from celery import shared_task

from challenges import services, submission_services
from challenges.models import ParticipantBundle, Submission
from common import jobs


@shared_task(bind=True, ignore_result=True)
def submission_score_task(self, *, submission_id: int, attempt: int = 1) -> None:
    submission_services.submission_score_run(submission_id=submission_id, attempt=attempt,
                                             worker=self.request.hostname or "")


@shared_task(bind=True, ignore_result=True)
def bundle_build_task(self, *, bundle_id: int, attempt: int = 1) -> None:
    services.bundle_build(bundle_id=bundle_id, attempt=attempt, worker=self.request.hostname or "")


jobs.register(jobs.JobKind(Submission, lambda pk, attempt: submission_score_task.delay(
    submission_id=pk, attempt=attempt)))
jobs.register(jobs.JobKind(ParticipantBundle, lambda pk, attempt: bundle_build_task.delay(
    bundle_id=pk, attempt=attempt)))
