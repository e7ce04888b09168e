"""The demo's benchmarks: launched on the demo study by its researcher, run here with --inline."""
import pytest
from django.core.management import call_command

from modeling.models import BenchmarkRun, RunStatus

pytestmark = pytest.mark.django_db


def test_demo_benchmark_snapshots_the_demo_study_and_runs_both_benchmarks(capsys):
    call_command("demo_study")
    call_command("simulate_raters", "au-iqa-demo", "--raters", "12", "--careless-share", "0.15",
                 "--coordinator", "coordinator")  # as bin/demo: enough rated images for 3+ per test part
    call_command("demo_benchmark", "au-iqa-demo", "--models", "niqe", "--repeats", "2", "--inline")
    benchmarks = {b.preset: b for b in BenchmarkRun.objects.all()}
    assert set(benchmarks) == {"au-iqa", "ntire2024"}
    zero_shot, split = benchmarks["au-iqa"], benchmarks["ntire2024"]
    assert zero_shot.status == RunStatus.SUCCEEDED, list(zero_shot.training_runs.values_list("error", flat=True))
    assert split.status == RunStatus.SUCCEEDED, list(split.training_runs.values_list("error", flat=True))
    assert sorted(split.training_runs.values_list("model", "repeat")) == [("niqe", 0), ("niqe", 1)]
    version = split.version
    assert zero_shot.version == version and len(zero_shot.training_runs.get().predictions) == len(version.items)
    researcher = split.requested_by
    assert researcher.username == "researcher" and researcher.has_perm("modeling.add_benchmarkrun")
    assert "run #" in capsys.readouterr().out
