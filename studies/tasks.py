"""Celery tasks: ids in, one service call."""
from celery import shared_task

from studies import services


@shared_task(ignore_result=True)
def mos_computation_run_task(*, computation_id: int) -> None:
    services.mos_computation_run(computation_id=computation_id)
