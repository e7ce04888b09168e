"""Reads of benchmark and training runs, always for the study in the URL and the user asking.

Coordinators and researchers of the study read them (``run_study_get``); everyone else, annotators
included, gets the same PermissionDeniedError as the other dashboards. Rows are then fetched through
their dataset version's study, so another study's ids reveal nothing.
"""
import hashlib

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Avg, Count, Q, QuerySet

from common.errors import PermissionDeniedError
from modeling.dashboards.selectors import dashboard_study_get, evaluation_cached
from modeling.models import ACTIVE_STATUSES, BenchmarkRun, RunStatus, TrainingRun
from moslab_science.benchmarks import Protocol
from moslab_science.charts.pages import MosItem
from moslab_science.charts.runs import Dashboard, RunScores, benchmark_dashboard, run_dashboard
from moslab_science.metrics.ranking import small_test_warning
from studies.models import Membership, Study

LOG_TAIL_CHARACTERS = 20_000


def run_study_get(*, study_id: int, user: AbstractBaseUser) -> Study:
    """The study, for its coordinators and researchers; anyone else gets PermissionDeniedError."""
    return dashboard_study_get(study_id=study_id, user=user)


def can_launch(*, study: Study, user: AbstractBaseUser) -> bool:
    """Whether the user may launch, cancel and retry runs in the study (its researchers)."""
    return user.is_authenticated and Membership.objects.filter(
        study=study, user_id=user.pk, role=Membership.Role.RESEARCHER).exists()


def benchmarks_for_study(*, study: Study, status: str = "", version_id: int | None = None) -> QuerySet[BenchmarkRun]:
    """The study's benchmarks, newest first, with how many of their runs are in each status and their mean progress;
    optionally one status, one version's."""
    counts = {f"runs_{status}": Count("training_runs", filter=Q(training_runs__status=status))
              for status in RunStatus.values}
    benchmarks = BenchmarkRun.objects.filter(version__study=study)
    if status:
        benchmarks = benchmarks.filter(status=status)
    if version_id is not None:
        benchmarks = benchmarks.filter(version=version_id)
    return (benchmarks.select_related("version", "requested_by")
            .annotate(runs_total=Count("training_runs"), runs_progress=Avg("training_runs__progress"), **counts)
            .order_by("-created_at", "-pk"))


def benchmark_get(*, study: Study, benchmark_id) -> BenchmarkRun:
    benchmark = benchmarks_for_study(study=study).filter(pk=_id(benchmark_id)).first()
    if benchmark is None:
        raise PermissionDeniedError("No such benchmark in this study.")
    return benchmark


def training_runs_of(*, benchmark: BenchmarkRun) -> QuerySet[TrainingRun]:
    return benchmark.training_runs.defer("predictions", "log", "config", "assignment").order_by("repeat", "pk")


def training_run_get(*, study: Study, benchmark_id, run_id) -> TrainingRun:
    run = (TrainingRun.objects.filter(pk=_id(run_id), benchmark_id=_id(benchmark_id),
                                      benchmark__version__study=study)
           .select_related("benchmark__version", "benchmark__requested_by").first())
    if run is None:
        raise PermissionDeniedError("No such training run in this benchmark.")
    return run


def is_active(benchmark: BenchmarkRun) -> bool:
    return benchmark.status in ACTIVE_STATUSES


def protocol_text(benchmark: BenchmarkRun) -> str:
    return Protocol.from_dict(benchmark.protocol).describe()


def log_tail(run: TrainingRun) -> str:
    return run.log[-LOG_TAIL_CHARACTERS:]


def version_items(benchmark: BenchmarkRun) -> list[MosItem]:
    """The dataset version's items (name, MOS, group labels), in the version's order."""
    return [MosItem(item["name"], float(item["mos"]), item.get("groups") or {})
            for item in benchmark.version.items if item.get("mos") is not None]


def benchmark_warnings(*, benchmark: BenchmarkRun) -> list[str]:
    """What to beware of before reading the benchmark's figures: a scored part too small to rank models on (the
    smallest over its runs; a zero-shot run scores every item of the version)."""
    scored = len(version_items(benchmark))
    sizes = [sum(1 for part in assignment.values() if part == "test") if assignment else scored
             for assignment in benchmark.training_runs.values_list("assignment", flat=True)]
    warning = small_test_warning(min(sizes)) if sizes else None
    return [warning] if warning else []


def benchmark_dashboard_get(*, benchmark: BenchmarkRun) -> Dashboard:
    """The benchmark's charts from its succeeded runs (all of them, or those finished so far), cached."""
    order = {model: index for index, model in enumerate(benchmark.model_names)}
    runs = sorted(benchmark.training_runs.filter(status=RunStatus.SUCCEEDED).only(
        "pk", "model", "repeat", "seed", "predictions", "finished_at"),
        key=lambda run: (order.get(run.model, 99), run.repeat))
    tag = hashlib.sha256(";".join(f"{run.pk}@{_stamp(run.finished_at)}" for run in runs).encode()).hexdigest()[:16]
    protocol = Protocol.from_dict(benchmark.protocol)
    version = benchmark.version
    return evaluation_cached(f"runs:benchmark:{benchmark.pk}:{tag}", lambda: benchmark_dashboard(
        [RunScores(run.pk, run.model, run.repeat, run.seed, run.predictions) for run in runs],
        version_items(benchmark), protocol=protocol.describe(), rank_by=protocol.rank_by,
        scale=(version.scale_min, version.scale_max), group_column=protocol.group_column,
    ))


def training_run_dashboard_get(*, run: TrainingRun) -> Dashboard:
    """The run's training curves (as recorded so far) and, once it scored its part, its evaluation charts."""
    if not run.predictions:
        return run_dashboard(model=run.model, predictions={}, items=[], epochs=run.metrics, seed=run.seed)
    key = f"runs:training:{run.pk}:{_stamp(run.finished_at)}:{len(run.metrics)}"
    return evaluation_cached(key, lambda: run_dashboard(
        model=run.model, predictions=run.predictions, items=version_items(run.benchmark), epochs=run.metrics,
        seed=run.seed,
    ))


def _stamp(moment) -> str:
    return f"{moment.timestamp():.6f}" if moment else ""


def _id(value) -> int:
    text = str(value)
    if not text.isdigit():
        raise PermissionDeniedError("Ids are whole numbers.")
    return int(text)
