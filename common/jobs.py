"""The one job runtime: every background job is a `common.models.Job` row that a worker claims, keeps alive
with a heartbeat, and ends as succeeded or failed with the reason; a lease recovers the rows of lost workers.

A job's message carries the row's attempt number. `job_claim` takes a queued row only for the attempt it
is at, so a message delivered twice (a broker redelivery, a sweep re-sending a lost message) never runs an
attempt twice. While the work runs a thread beats every MOSLAB_JOB_HEARTBEAT_SECONDS. A running row
whose beat is older than MOSLAB_JOB_LEASE_SECONDS lost its worker (killed, out of memory, machine gone):
`jobs_sweep` queues it again as the next attempt, or fails it with the reason once MOSLAB_JOB_MAX_ATTEMPTS
attempts were lost. A queued row whose message has not been taken within the lease gets its message again.
Every worker sweeps when it starts and every MOSLAB_JOB_SWEEP_SECONDS (common.tasks).

A service creates the row and sends its first message after commit. Each app declares its job kinds
(`register`) in its tasks module, which every worker imports: the model, and how the sweep sends a message.
"""
import logging
import socket
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from common.errors import DomainError
from common.models import Job, JobStatus

logger = logging.getLogger(__name__)
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
ENDED_EARLY = (JobStatus.FAILED, JobStatus.CANCELLED)


class JobCancelled(Exception):
    """Raised from a job's progress report when someone asked to cancel it; the job stops there."""


@dataclass(frozen=True)
class JobKind:
    """A kind of job: its model and how to send it a message `(job_id, attempt)`. `recover`, when given,
    replaces the sweep's handling of this kind (training runs resume from a checkpoint and keep a log)."""

    model: type[Job]
    send: Callable[[int, int], None]
    recover: Callable[[], list] | None = None


KINDS: list[JobKind] = []


def register(kind: JobKind) -> JobKind:
    if all(known.model is not kind.model for known in KINDS):
        KINDS.append(kind)
    return kind


def job_claim(model: type[Job], *, job_id: int, attempt: int, worker: str) -> Job | None:
    """Mark the row running on `worker` if it is queued at this attempt; None: skip the message."""
    with transaction.atomic():
        job = model.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != JobStatus.QUEUED or job.attempt != attempt:
            logger.info("%s %s attempt %s: not queued at this attempt (%s); message skipped", model.__name__,
                        job_id, attempt, "gone" if job is None else f"{job.status}, attempt {job.attempt}")
            return None
        now = timezone.now()
        job.status, job.worker, job.heartbeat_at, job.started_at = JobStatus.RUNNING, worker, now, now
        job.save(update_fields=["status", "worker", "heartbeat_at", "started_at", "updated_at"])
    return job


def _current(job: Job):
    """The job's row, only while it is still running the attempt this worker holds."""
    return type(job).objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempt=job.attempt)


def job_progress(job: Job, fraction: float) -> None:
    """Store the progress (0 to 1) and beat; raises JobCancelled when a cancel was asked for."""
    _current(job).update(progress=round(min(1.0, max(0.0, fraction)), 4), heartbeat_at=timezone.now())
    job_checkpoint(job)


def job_checkpoint(job: Job, *, lock: bool = False) -> None:
    """A point where the work may stop: raises JobCancelled when a cancel was asked for. `lock` keeps the row
    locked to the end of the transaction, so a cancel asked for meanwhile waits for it."""
    rows = type(job).objects.filter(pk=job.pk)
    requested, note = (rows.select_for_update() if lock else rows).values_list("cancel_requested", "error").get()
    if requested:
        raise JobCancelled(note or "Cancelled.")


def job_progress_every(job: Job, *, seconds: float = 1.0) -> Callable[[float], None]:
    """A progress callback for a loop over many items: `job_progress` (a write, a read and the cancel check) at
    most once every `seconds`, the first call at once."""
    last = [float("-inf")]

    def report(fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] >= seconds:
            last[0] = now
            job_progress(job, fraction)

    return report


def job_end(job: Job, *, status: str, error: str = "", **fields) -> bool:
    """Store the outcome (and `fields` of the row) if this worker still holds the attempt; False when the
    sweep gave the job to another attempt meanwhile."""
    with transaction.atomic():
        if not _current(job).select_for_update().exists():
            logger.warning("%s %s attempt %s ended as %s, but the row moved on; outcome dropped",
                           type(job).__name__, job.pk, job.attempt, status)
            return False
        now = timezone.now()
        changes = {**fields, "status": status, "finished_at": now, "heartbeat_at": now}
        if status in ENDED_EARLY:
            changes["error"] = error
        else:
            changes["progress"] = 1.0
        for key, value in changes.items():
            setattr(job, key, value)
        job.save(update_fields=[*changes, "updated_at"])
    return True


def explain(error: Exception) -> str:
    """The reason stored on a failed row: a domain error's own words, else the exception's type and text."""
    if isinstance(error, DomainError):
        return str(error)
    return f"{type(error).__name__}: {error} (traceback in the worker log)"


def job_run(model: type[Job], *, job_id: int, attempt: int, work: Callable[[Job], object],
            store: Callable[[Job, object], dict] | None = None, worker: str = "",
            reason: Callable[[Exception], str] = explain) -> Job:
    """Claim the row and run `work(job)` with a heartbeat; then, in one transaction, `store(job, result)`
    writes what the work found and gives fields of the row, stored with the outcome (no `store`: the work
    returns those fields). A failure is stored with its `reason`; nothing is retried in the queue. A cancel
    stops the work at its next progress report, or at the latest before its result is stored (the row is
    locked there, so a cancel that comes later waits and finds the job succeeded).
    Returns the row; as it stands when the message was skipped (not queued at this attempt)."""
    job = job_claim(model, job_id=job_id, attempt=attempt, worker=worker or socket.gethostname())
    if job is None:
        return model.objects.get(pk=job_id)
    if settings.MOSLAB_JOB_PAUSE_AFTER_CLAIM:  # fault-injection tests kill the worker in this pause
        time.sleep(settings.MOSLAB_JOB_PAUSE_AFTER_CLAIM)
    with _heartbeat(job):
        try:
            result = work(job)
            with transaction.atomic():
                job_checkpoint(job, lock=True)
                fields = store(job, result) if store else result
                if not job_end(job, status=JobStatus.SUCCEEDED, **fields):
                    transaction.set_rollback(True)  # another attempt owns the row now: keep nothing of this one
        except JobCancelled as stop:
            job_end(job, status=JobStatus.CANCELLED, error=f"{stop} Stopped while running.")
        except Exception as error:
            if not isinstance(error, DomainError):
                logger.exception("%s %s attempt %s failed on %s", model.__name__, job.pk, job.attempt, job.worker)
            job_end(job, status=JobStatus.FAILED, error=reason(error))
    return job


@contextmanager
def _heartbeat(job: Job):
    """A thread marks the attempt alive every MOSLAB_JOB_HEARTBEAT_SECONDS while the work runs."""
    with heartbeat(lambda: _current(job).update(heartbeat_at=timezone.now()),
                   every=settings.MOSLAB_JOB_HEARTBEAT_SECONDS, name=f"{type(job).__name__} {job.pk}"):
        yield


@contextmanager
def heartbeat(touch: Callable[[], object], *, every: float, name: str):
    """Call `touch` every `every` seconds in a thread while the block runs (a job or a training run says it is
    alive); a failed beat is logged, it only brings the lease closer."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every):
                try:
                    touch()
                except Exception:
                    logger.exception("heartbeat of %s failed", name)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, daemon=True, name=f"heartbeat {name}")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def job_cancel(job: Job, *, by) -> Job:
    """A queued job is cancelled at once (its message is then skipped); a running one stops at its next progress
    report and ends cancelled."""
    with transaction.atomic():
        current = type(job).objects.select_for_update().get(pk=job.pk)
        if current.status not in ACTIVE:
            raise DomainError(f"This job is {current.get_status_display().lower()} already; nothing to cancel.")
        if current.cancel_requested:
            raise DomainError("A cancel was asked for already; the job stops at its next step.")
        current.cancel_requested = True
        if current.status == JobStatus.QUEUED:
            current.status, current.finished_at = JobStatus.CANCELLED, timezone.now()
            current.error = f"Cancelled by {by} before it started."
        else:
            current.error = f"Cancelled by {by}."
        current.save()
    return current


def job_requeue(job: Job, *, send: Callable[[int, int], None]) -> Job:
    """A failed or cancelled job queued again as its next attempt; its message is sent after commit."""
    with transaction.atomic():
        current = type(job).objects.select_for_update().get(pk=job.pk)
        if current.status not in ENDED_EARLY:
            raise DomainError(f"This job is {current.get_status_display().lower()}; only a failed or cancelled job "
                              "can run again.")
        current.attempt += 1
        current.status, current.cancel_requested, current.progress = JobStatus.QUEUED, False, 0
        current.heartbeat_at, current.started_at, current.finished_at, current.worker = timezone.now(), None, None, ""
        current.error = f"Queued again as attempt {current.attempt} (attempt {current.attempt - 1}: {current.error})"
        current.save()
        transaction.on_commit(lambda: send(current.pk, current.attempt))
    return current


@dataclass(frozen=True)
class JobState:
    """What a page shows of a job (templates/common/job_status.html), for pages given plain views, not rows."""

    status: str
    status_label: str
    progress: float
    attempt: int
    worker: str
    created_at: object
    heartbeat_at: object
    cancel_requested: bool
    error: str

    @classmethod
    def of(cls, job: Job, *, error: str | None = None) -> "JobState":
        return cls(status=job.status, status_label=job.get_status_display(), progress=job.progress,
                   attempt=job.attempt, worker=job.worker, created_at=job.created_at, heartbeat_at=job.heartbeat_at,
                   cancel_requested=job.cancel_requested, error=job.error if error is None else error)

    def get_status_display(self) -> str:  # the row's method of the same name, so one template shows both
        return self.status_label


def jobs_sweep(*, now=None) -> list[str]:
    """Recover every kind's rows of lost workers and re-send lost messages; returns what was done, one line
    per row. Safe to run from several workers at once: each row is re-checked under its lock."""
    done = []
    for kind in list(KINDS):
        if kind.recover is not None:
            done += [f"{kind.model.__name__} {row.pk}: recovered" for row in kind.recover()]
        else:
            done += _sweep_kind(kind, now=now or timezone.now())
    return done


def _sweep_kind(kind: JobKind, *, now) -> list[str]:
    cutoff = now - timedelta(seconds=settings.MOSLAB_JOB_LEASE_SECONDS)
    silent = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, updated_at__lt=cutoff)
    done = []
    for job_id in kind.model.objects.filter(silent, status__in=ACTIVE).values_list("pk", flat=True):
        with transaction.atomic():
            job = kind.model.objects.select_for_update().filter(silent, pk=job_id, status__in=ACTIVE).first()
            if job is None:
                continue  # another sweep (or the worker) got there first
            done.append(_resend(job, now=now) if job.status == JobStatus.QUEUED else _recover(job, now=now))
            if job.status == JobStatus.QUEUED:
                transaction.on_commit(lambda pk=job.pk, attempt=job.attempt: kind.send(pk, attempt))
    for line in done:
        logger.warning("job sweep: %s", line)
    return done


def _resend(job: Job, *, now) -> str:
    """A queued row whose message nobody took within the lease (lost with a worker, or never sent)."""
    job.heartbeat_at = now
    job.save(update_fields=["heartbeat_at", "updated_at"])
    return (f"{type(job).__name__} {job.pk}: queued with no taker for the lease; message for attempt {job.attempt} "
            "sent again")


def _recover(job: Job, *, now) -> str:
    """A running row whose worker went silent: queued again as the next attempt, or failed with the reason."""
    last = job.heartbeat_at.isoformat(timespec="seconds") if job.heartbeat_at else "never"
    lost = f"attempt {job.attempt} lost: worker {job.worker or '?'} stopped (last heartbeat {last})"
    if job.attempt >= settings.MOSLAB_JOB_MAX_ATTEMPTS or job.cancel_requested:
        job.status, job.finished_at = JobStatus.CANCELLED if job.cancel_requested else JobStatus.FAILED, now
        job.error = (f"{lost}; cancelled." if job.cancel_requested else
                     f"{lost}; gave up after {job.attempt} of {settings.MOSLAB_JOB_MAX_ATTEMPTS} attempts "
                     "(MOSLAB_JOB_MAX_ATTEMPTS).")
        job.save()
        return f"{type(job).__name__} {job.pk}: {job.error}"
    job.attempt += 1
    job.status, job.heartbeat_at, job.progress = JobStatus.QUEUED, now, 0
    job.error = f"{lost}; queued again as attempt {job.attempt}."
    job.save()
    return f"{type(job).__name__} {job.pk}: {job.error}"


def sweep_forever() -> None:
    """The worker's own periodic sweep (a daemon thread), so no beat process is needed on any setup."""
    while True:
        time.sleep(settings.MOSLAB_JOB_SWEEP_SECONDS)
        try:
            jobs_sweep()
        except Exception:  # the next round tries again
            logger.exception("job sweep failed")
        finally:
            connection.close()
