"""Celery tasks of the gpu queue (concurrency 1, prefetch 1, late acknowledgement): ids in, one service call; and
the workers' device reports (modeling.devices), sent when a worker is ready and while it runs.

Training runs are jobs of the one job runtime (common.jobs) with their own recovery: a run whose worker
stopped mid-run resumes from its last checkpoint and keeps a log (run_services.training_runs_recover).
"""
from celery import shared_task
from celery.signals import worker_ready, worker_shutdown
from django.conf import settings

from common import jobs
from modeling import devices
from modeling.models import TrainingRun
from modeling.runs import execution as run_execution
from modeling.runs import services as run_services


@shared_task(bind=True, ignore_result=True, acks_late=True, reject_on_worker_lost=True,
             soft_time_limit=settings.MOSLAB_RUN_TIME_LIMIT, time_limit=settings.MOSLAB_RUN_TIME_LIMIT + 300)
def training_run_task(self, *, run_id: int, attempt: int) -> None:
    run_execution.training_run_execute(run_id=run_id, attempt=attempt, worker=self.request.hostname or "")


jobs.register(jobs.JobKind(TrainingRun, lambda pk, attempt: training_run_task.delay(run_id=pk, attempt=attempt),
                           recover=lambda: run_services.training_runs_recover()))


@worker_ready.connect
def worker_devices_report(sender, **_kwargs) -> None:
    """A worker that is ready reports its queues and CUDA devices, then keeps reporting (the device inventory)."""
    devices.worker_reporting_start(worker=sender.hostname, queues=[queue.name for queue in sender.task_consumer.queues])


@worker_shutdown.connect
def worker_devices_forget(sender, **_kwargs) -> None:
    devices.worker_reporting_stop(worker=sender.hostname)
