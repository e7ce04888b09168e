"""Celery tasks: ids in, one service call."""
from celery import shared_task

from annotation import session_services


@shared_task(ignore_result=True)
def queue_refill_task(*, study_id: int, user_id: int) -> None:
    session_services.queue_refill(study_id=study_id, user_id=user_id)
