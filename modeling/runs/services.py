"""Writes of benchmark and training runs: launch, claim, progress, finish, cancel, retry and recovery.

Only a study's researchers launch, cancel or retry. A run row is the status; the Celery task on the
``gpu`` queue claims it with the attempt number its message carries, so a message delivered twice (a
broker redelivery, a retry) never runs the same attempt twice.
"""
import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.errors import DomainError, PermissionDeniedError
from modeling import tasks
from modeling.models import ACTIVE_STATUSES, BenchmarkRun, RunStatus, TrainingRun
from moslab_science.benchmarks import PRESETS, RUN_PREFIX, Protocol, plan_model, plan_splits
from moslab_science.datasets import DatasetError, canonical_json
from studies.datasets.snapshot import items_of
from studies.models import DatasetVersion, Membership

logger = logging.getLogger(__name__)
LOG_LIMIT = 200_000  # characters of a run's log kept in its row (the tail)
GROUP_COLUMN = "group"  # the training table's column holding the protocol's group column


def require_researcher(*, study_id: int, user: AbstractBaseUser) -> None:
    if not (user.is_authenticated and Membership.objects.filter(
            study_id=study_id, user_id=user.pk, role=Membership.Role.RESEARCHER).exists()):
        raise PermissionDeniedError("Only the study's researchers launch, cancel or retry runs.")


def launch_key(*, version: DatasetVersion, protocol: Protocol, models: list[str], hyperparameters: dict,
               device: str) -> str:
    content = {"version": version.content_hash, "protocol": protocol.as_dict(), "models": models,
               "hyperparameters": hyperparameters, "device": device}
    return hashlib.sha256(canonical_json(content)).hexdigest()


#: The longest time limit a launch may give each run (a week).
MAX_TIME_LIMIT_MINUTES = 7 * 24 * 60


def time_limit_from_minutes(minutes: int | None) -> int | None:
    """A launch's time limit per run, given in minutes by the form and the API, as benchmark_launch takes it."""
    return None if minutes is None else int(minutes) * 60


@transaction.atomic
def benchmark_launch(*, version: DatasetVersion, by: AbstractBaseUser, models: list[str], protocol: Protocol,
                     hyperparameters: dict, device: str, preset: str = "custom", name: str = "",
                     time_limit_seconds: int | None = None) -> BenchmarkRun:
    """Plan every (model, repeated split) as a training run and queue them on the gpu queue.

    `time_limit_seconds` bounds each trained run's attempt: it stops cleanly in time, keeping its step to resume,
    and scores its test part with the best validated epoch so far.

    Refused with a DomainError listing every problem (unknown model, bad hyperparameters, a protocol the
    version cannot follow); an identical benchmark already queued or running is not started again.
    """
    require_researcher(study_id=version.study_id, user=by)
    models = list(dict.fromkeys(model.strip() for model in models if model.strip()))
    problems = protocol.problems() + ([] if models else ["choose at least one model"])
    if preset not in PRESETS:
        problems.append(f"unknown preset {preset!r} (known: {', '.join(PRESETS)})")
    if protocol.group_column and not any(protocol.group_column in item.get("groups", {}) for item in version.items):
        problems.append(f"no item of the version has a {protocol.group_column!r} group")
    if time_limit_seconds is not None and time_limit_seconds < 1:
        problems.append(f"the time limit per run must be at least 1 second, not {time_limit_seconds}")
    if problems:
        raise DomainError("The benchmark cannot be launched.", problems=problems)
    stored = {split.name: split.assignment for split in version.splits.all()}
    try:
        splits = plan_splits(protocol, items_of(version.items), stored)
    except (DatasetError, ValueError) as error:
        raise DomainError(f"The benchmark cannot be launched: {error}",
                          problems=getattr(error, "problems", [])) from None
    data = {**hyperparameters.get("data", {}), "group_column": GROUP_COLUMN if protocol.group_column else None}
    zero_shot = protocol.scheme == "zero_shot"
    plans = []
    for split in splits:
        for model in models:
            plan = plan_model(model, {**hyperparameters, "data": data}, zero_shot=zero_shot, seed=split.seed)
            if plan.kind == "zero_shot" and model.startswith(RUN_PREFIX):
                _require_source_run(plan.config["source_run"], by)
            plans.append((split, plan))
    video = sorted({plan.model for _, plan in plans if plan.video})
    if video and time_limit_seconds is not None:
        raise DomainError("The benchmark cannot be launched.", problems=[
            f"{', '.join(video)}: video runs stop at epoch ends only and take no time limit per run; leave it empty"])
    benchmark = _benchmark_create(
        version=version, by=by, preset=preset, protocol=protocol, models=models, hyperparameters=hyperparameters,
        device=device, name=name or f"{PRESETS[preset].label.split(' (')[0]}: {', '.join(models)}",
    )
    runs = TrainingRun.objects.bulk_create([
        TrainingRun(benchmark=benchmark, model=plan.model, kind=plan.kind, repeat=split.repeat, seed=split.seed,
                    split_name=split.name, assignment=dict(split.assignment), config=plan.config,
                    epochs=plan.epochs, stages=list(plan.stages),
                    time_limit_seconds=time_limit_seconds if plan.kind == TrainingRun.Kind.TRAIN else None)
        for split, plan in plans
    ])
    for run in TrainingRun.objects.filter(benchmark=benchmark).order_by("repeat", "pk"):
        _enqueue(run)
    logger.info("benchmark %s launched by %s: %d runs", benchmark.pk, by, len(runs))
    return benchmark


def _benchmark_create(*, version, by, preset, protocol, models, hyperparameters, device, name) -> BenchmarkRun:
    key = launch_key(version=version, protocol=protocol, models=models, hyperparameters=hyperparameters,
                     device=device)
    try:
        with transaction.atomic():
            return BenchmarkRun.objects.create(
                version=version, name=name[:200], preset=preset, protocol=protocol.as_dict(), model_names=models,
                hyperparameters=hyperparameters, device=device, launch_key=key, requested_by=by,
            )
    except IntegrityError:
        active = BenchmarkRun.objects.filter(launch_key=key, status__in=ACTIVE_STATUSES).first()
        raise DomainError(f"The same benchmark is already {active.status if active else 'active'}"
                          f"{f' as #{active.pk}' if active else ''}; wait for it or cancel it first.") from None


def _require_source_run(run_id: int, by: AbstractBaseUser) -> None:
    source = TrainingRun.objects.filter(pk=run_id, kind=TrainingRun.Kind.TRAIN, status=RunStatus.SUCCEEDED).first()
    if source is None or not source.checkpoint:
        raise DomainError(f"run:{run_id} is not a succeeded training run with a checkpoint")
    require_researcher(study_id=source.benchmark.version.study_id, user=by)


def _enqueue(run: TrainingRun) -> None:
    run_id, attempt = run.pk, run.attempt
    transaction.on_commit(lambda: tasks.training_run_task.delay(run_id=run_id, attempt=attempt))


def append_log(run: TrainingRun, text: str) -> str:
    stamp = timezone.now().strftime("%Y-%m-%d %H:%M:%S")
    lines = "".join(f"[{stamp}] {line}\n" for line in text.splitlines() or [""])
    return (run.log + lines)[-LOG_LIMIT:]


def is_stale(run: TrainingRun, *, now=None) -> bool:
    """A running run whose worker has stopped sending heartbeats."""
    last = run.heartbeat_at or run.started_at
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.MOSLAB_RUN_STALE_SECONDS)
    return run.status == RunStatus.RUNNING and (last is None or last < cutoff)


@transaction.atomic
def training_run_claim(*, run_id: int, attempt: int, worker: str) -> TrainingRun | None:
    """Mark the run running on `worker` if this message is its current attempt; None means: skip the message.

    A queued run is claimed. A running run is claimed again only when its own message comes back after
    its worker stopped (stale heartbeat): that is a resumption, and counts as a new attempt.
    """
    run = TrainingRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None or run.attempt != attempt:
        return None
    now = timezone.now()
    if run.status == RunStatus.RUNNING and is_stale(run, now=now):
        run.attempt += 1
        run.log = append_log(run, f"the message came back after worker {run.worker or '?'} stopped; resuming "
                                  f"as attempt {run.attempt}")
    elif run.status != RunStatus.QUEUED:
        return None
    run.status, run.worker, run.heartbeat_at = RunStatus.RUNNING, worker, now
    run.started_at = run.started_at or now
    run.run_dir = f"runs/{run.benchmark_id}/{run.pk}"
    run.log = append_log(run, f"attempt {run.attempt} started on {worker}")
    run.save(update_fields=["status", "worker", "heartbeat_at", "started_at", "run_dir", "log", "attempt",
                            "updated_at"])
    BenchmarkRun.objects.filter(pk=run.benchmark_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=now)
    return run


def training_run_heartbeat(*, run_id: int) -> None:
    TrainingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(heartbeat_at=timezone.now())


def training_run_progress(*, run: TrainingRun, fields: dict, log_lines: list[str]) -> bool:
    """Store progress of a running run; returns whether a cancel was asked for."""
    with transaction.atomic():
        current = TrainingRun.objects.select_for_update().get(pk=run.pk)
        for key, value in fields.items():
            setattr(current, key, value)
        if log_lines:
            current.log = append_log(current, "\n".join(log_lines))
        current.heartbeat_at = timezone.now()
        current.save(update_fields=[*fields, "log", "heartbeat_at", "updated_at"])
    return current.cancel_requested


def cancel_requested(*, run_id: int) -> bool:
    return TrainingRun.objects.filter(pk=run_id, cancel_requested=True).exists()


@transaction.atomic
def training_run_finish(*, run: TrainingRun, status: str, message: str = "", **fields) -> TrainingRun:
    current = TrainingRun.objects.select_for_update().get(pk=run.pk)
    for key, value in fields.items():
        setattr(current, key, value)
    current.status, current.finished_at = status, timezone.now()
    current.error = message if status != RunStatus.SUCCEEDED else ""
    if status == RunStatus.SUCCEEDED:
        current.progress = 1.0
    current.log = append_log(current, message or f"finished: {status}")
    current.save()
    benchmark_refresh(benchmark_id=current.benchmark_id)
    return current


def benchmark_refresh(*, benchmark_id: int) -> BenchmarkRun:
    """The benchmark's status from its runs: running while any is active, then failed, cancelled or succeeded."""
    benchmark = BenchmarkRun.objects.select_for_update().get(pk=benchmark_id)
    statuses = set(benchmark.training_runs.values_list("status", flat=True))
    if statuses & set(ACTIVE_STATUSES):
        status = RunStatus.RUNNING if RunStatus.RUNNING in statuses or benchmark.started_at else RunStatus.QUEUED
        finished_at, error = None, ""
    else:
        status = next(s for s in (RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.SUCCEEDED) if s in statuses)
        failed = benchmark.training_runs.filter(status=RunStatus.FAILED).count()
        finished_at, error = timezone.now(), f"{failed} run(s) failed" if failed else ""
    if (benchmark.status, benchmark.finished_at is None, benchmark.error) != (status, finished_at is None, error):
        benchmark.status, benchmark.finished_at, benchmark.error = status, finished_at, error
        benchmark.save(update_fields=["status", "finished_at", "error", "updated_at"])
    return benchmark


@transaction.atomic
def benchmark_cancel(*, benchmark: BenchmarkRun, by: AbstractBaseUser) -> int:
    """Queued runs are cancelled at once; running ones stop after their next training step, which their
    checkpoint keeps (a retry resumes from it). Returns how many."""
    require_researcher(study_id=benchmark.version.study_id, user=by)
    touched = 0
    for run in TrainingRun.objects.select_for_update().filter(benchmark=benchmark, status__in=ACTIVE_STATUSES):
        if run.status == RunStatus.QUEUED:
            run.status, run.finished_at, run.error = RunStatus.CANCELLED, timezone.now(), f"cancelled by {by}"
            run.log = append_log(run, f"cancelled by {by} before it started")
        else:
            run.cancel_requested = True
            run.log = append_log(run, f"cancel requested by {by}; the run stops after its next training step, "
                                          "keeping it in its checkpoint")
        run.save()
        touched += 1
    benchmark_refresh(benchmark_id=benchmark.pk)
    return touched


@transaction.atomic
def benchmark_retry(*, benchmark: BenchmarkRun, by: AbstractBaseUser) -> int:
    """Queue each failed or cancelled run again as a new attempt; a trained run resumes from its last checkpoint
    (the step a cancel or a time limit stopped it after, else the last periodic or epoch checkpoint)."""
    require_researcher(study_id=benchmark.version.study_id, user=by)
    locked = BenchmarkRun.objects.select_for_update().get(pk=benchmark.pk)
    if locked.status in ACTIVE_STATUSES:
        raise DomainError(f"Benchmark #{locked.pk} is still {locked.status}; cancel it or wait before retrying.")
    runs = list(TrainingRun.objects.select_for_update().filter(
        benchmark=locked, status__in=(RunStatus.FAILED, RunStatus.CANCELLED)))
    if not runs:
        raise DomainError(f"Benchmark #{locked.pk} has no failed or cancelled run to retry.")
    try:
        with transaction.atomic():
            locked.status, locked.finished_at, locked.error = RunStatus.QUEUED, None, ""
            locked.save(update_fields=["status", "finished_at", "error", "updated_at"])
    except IntegrityError:
        raise DomainError("An identical benchmark is queued or running; retry this one when it ends.") from None
    for run in runs:
        _requeue(run, f"retry requested by {by}")
    return len(runs)


def _requeue(run: TrainingRun, reason: str) -> None:
    run.attempt += 1
    run.status, run.cancel_requested, run.finished_at, run.error = RunStatus.QUEUED, False, None, ""
    resume = (f"; resumes from its last checkpoint (epoch {run.epoch + 1}, step {run.step} or later)"
              if run.kind == TrainingRun.Kind.TRAIN and (run.epoch or run.step) else "")
    run.log = append_log(run, f"{reason}: queued as attempt {run.attempt}{resume}")
    run.save()
    _enqueue(run)


@transaction.atomic
def training_runs_recover() -> list[TrainingRun]:
    """Runs whose worker stopped mid-run (no heartbeat for MOSLAB_RUN_STALE_SECONDS): queued again to resume
    from their last checkpoint, or failed with the reason once MOSLAB_RUN_MAX_ATTEMPTS is reached."""
    recovered = []
    for run in TrainingRun.objects.select_for_update().filter(status=RunStatus.RUNNING):
        if not is_stale(run):
            continue
        last = run.heartbeat_at.isoformat(timespec="seconds") if run.heartbeat_at else "never"
        reason = f"worker {run.worker or '?'} stopped mid-run during epoch {run.epoch + 1} (last heartbeat {last})"
        if run.attempt >= settings.MOSLAB_RUN_MAX_ATTEMPTS:
            run.status, run.finished_at = RunStatus.FAILED, timezone.now()
            run.error = (f"{reason}; gave up after attempt {run.attempt} of {settings.MOSLAB_RUN_MAX_ATTEMPTS} "
                         f"(MOSLAB_RUN_MAX_ATTEMPTS). Retry resumes from its last checkpoint.")
            run.log = append_log(run, run.error)
            run.save()
            benchmark_refresh(benchmark_id=run.benchmark_id)
        else:
            _requeue(run, reason)
        recovered.append(run)
    return recovered

