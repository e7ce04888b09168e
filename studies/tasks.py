"""Celery tasks: ids in, one service call; each message carries its job's attempt (common.jobs)."""
from celery import shared_task

from common import jobs
from studies import services
from studies.datasets import services as dataset_services
from studies.models import DatasetExport, MosComputation


@shared_task(bind=True, ignore_result=True)
def mos_computation_run_task(self, *, computation_id: int, attempt: int = 1) -> None:
    services.mos_computation_run(computation_id=computation_id, attempt=attempt, worker=self.request.hostname or "")


@shared_task(bind=True, ignore_result=True)
def dataset_export_run_task(self, *, export_id: int, attempt: int = 1) -> None:
    dataset_services.dataset_export_run(export_id=export_id, attempt=attempt, worker=self.request.hostname or "")


jobs.register(jobs.JobKind(MosComputation, lambda pk, attempt: mos_computation_run_task.delay(
    computation_id=pk, attempt=attempt)))
jobs.register(jobs.JobKind(DatasetExport, lambda pk, attempt: dataset_export_run_task.delay(
    export_id=pk, attempt=attempt)))
