"""Every worker keeps the jobs honest: it sweeps when it starts, then on its own timer (common.jobs)."""
import threading

from celery.signals import worker_ready

from common import jobs

_sweeping = threading.Event()


@worker_ready.connect
def jobs_sweep_on_start(**_kwargs) -> None:
    """Rows left running by a worker that died are queued again (or failed) as soon as any worker is up,
    and again every MOSLAB_JOB_SWEEP_SECONDS: no beat process is needed, the embedded default included."""
    jobs.jobs_sweep()
    if not _sweeping.is_set():
        _sweeping.set()
        threading.Thread(target=jobs.sweep_forever, daemon=True, name="job-sweep").start()
