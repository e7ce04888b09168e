"""Each training run's seed is fixed on its row when the benchmark is planned, and everything reads it from there."""
import pytest
from django.core.cache import cache

from modeling.models import RunStatus, TrainingRun
from modeling.runs import selectors as run_selectors
from moslab_science.benchmarks import Protocol
from tests.modeling.runs.helpers import execute_all, launch

pytestmark = pytest.mark.django_db


def test_runs_are_planned_with_the_protocol_seed_plus_their_repeat(dataset_version, researcher,
                                                                   django_capture_on_commit_callbacks):
    benchmark = launch(dataset_version, researcher, models=("niqe", "brisque"),
                       protocol=Protocol(scheme="seeded", seed=3, repeats=3),
                       capture=django_capture_on_commit_callbacks)
    runs = benchmark.training_runs.order_by("repeat", "model")
    assert [(run.repeat, run.model, run.seed) for run in runs] == [
        (0, "brisque", 3), (0, "niqe", 3), (1, "brisque", 4), (1, "niqe", 4), (2, "brisque", 5), (2, "niqe", 5)]
    assert all(run.config["seed"] == run.seed for run in runs), "the classical plan carries the same seed"


def test_execution_and_both_dashboards_use_the_seed_stored_on_the_run(dataset_version, researcher,
                                                                      django_capture_on_commit_callbacks):
    benchmark = launch(dataset_version, researcher, models=("niqe",), protocol=Protocol(scheme="seeded", seed=1),
                       capture=django_capture_on_commit_callbacks)
    TrainingRun.objects.filter(benchmark=benchmark).update(seed=77)  # not protocol seed + repeat any more
    run = execute_all(benchmark).training_runs.get()
    assert run.status == RunStatus.SUCCEEDED, run.error
    stored = run.result["ci95"]["srcc"]
    leaderboard = run_selectors.benchmark_dashboard_get(benchmark=benchmark).chart("leaderboard")
    row = dict(zip(leaderboard.columns, leaderboard.rows[0], strict=True))
    assert (row["srcc_ci95_low"], row["srcc_ci95_high"]) == pytest.approx((stored["low"], stored["high"]))
    metrics = run_selectors.training_run_dashboard_get(run=run).chart("metrics")
    srcc = next(dict(zip(metrics.columns, line, strict=True)) for line in metrics.rows if line[0] == "srcc")
    assert (srcc["ci95_low"], srcc["ci95_high"]) == pytest.approx((stored["low"], stored["high"]))
    TrainingRun.objects.filter(pk=run.pk).update(seed=1)
    cache.clear()
    reseeded = run_selectors.benchmark_dashboard_get(benchmark=benchmark).chart("leaderboard")
    assert dict(zip(reseeded.columns, reseeded.rows[0], strict=True))["srcc_ci95_low"] != \
        pytest.approx(stored["low"]), "another seed resamples other images: the check can fail"
