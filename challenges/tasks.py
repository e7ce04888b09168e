"""Celery tasks (default queue): ids in, one service call."""
from celery import shared_task

from challenges import services, submission_services


@shared_task(ignore_result=True)
def submission_score_task(*, submission_id: int) -> None:
    submission_services.submission_score_run(submission_id=submission_id)


@shared_task(ignore_result=True)
def bundle_build_task(*, bundle_id: int) -> None:
    services.bundle_build(bundle_id=bundle_id)
