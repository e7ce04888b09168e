"""Celery tasks of the gpu queue (concurrency 1, prefetch 1, late acknowledgement): ids in, one service call.

A gpu worker that starts also recovers runs whose worker stopped mid-run (see run_services).
"""
from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from modeling.runs import execution as run_execution
from modeling.runs import services as run_services


@shared_task(bind=True, ignore_result=True, acks_late=True, reject_on_worker_lost=True,
             soft_time_limit=settings.MOSLAB_RUN_TIME_LIMIT, time_limit=settings.MOSLAB_RUN_TIME_LIMIT + 300)
def training_run_task(self, *, run_id: int, attempt: int) -> None:
    run_execution.training_run_execute(run_id=run_id, attempt=attempt, worker=self.request.hostname or "")


@worker_ready.connect
def recover_runs_on_start(sender, **_kwargs) -> None:
    """Runs left running by a worker that died are queued again (or failed) as soon as a gpu worker is up."""
    queues = set(sender.app.amqp.queues.consume_from or {})
    if not queues or "gpu" in queues:
        run_services.training_runs_recover()
