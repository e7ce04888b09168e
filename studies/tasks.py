"""Celery tasks: ids in, one service call."""
from celery import shared_task

from studies import services
from studies.datasets import services as dataset_services


@shared_task(ignore_result=True)
def mos_computation_run_task(*, computation_id: int) -> None:
    services.mos_computation_run(computation_id=computation_id)


@shared_task(ignore_result=True)
def dataset_export_run_task(*, export_id: int) -> None:
    dataset_services.dataset_export_run(export_id=export_id)
