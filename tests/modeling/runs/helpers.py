"""Launching a benchmark and running its training runs in process, without a worker."""
import csv
import io

from modeling.models import BenchmarkRun
from modeling.runs import execution as run_execution
from modeling.runs import services as run_services
from moslab_science.benchmarks import Protocol
from tests.modeling.runs.conftest import TINY


def launch(version, by, *, models=("effnet-lite",), protocol=None, hyperparameters=TINY, capture=None):
    """Launch with the Celery messages held back (``capture`` is django_capture_on_commit_callbacks)."""
    with capture(execute=False):
        return run_services.benchmark_launch(
            version=version, by=by, models=list(models), protocol=protocol or Protocol(scheme="seeded"),
            hyperparameters=hyperparameters, device="cpu")


def execute_all(benchmark: BenchmarkRun) -> BenchmarkRun:
    for run in benchmark.training_runs.order_by("pk"):
        run_execution.training_run_execute(run_id=run.pk, attempt=run.attempt, worker="test")
    benchmark.refresh_from_db()
    return benchmark


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.content[:300]
    return list(csv.DictReader(io.StringIO(response.content.decode())))
