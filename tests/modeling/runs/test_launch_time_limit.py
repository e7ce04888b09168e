"""A researcher gives each trained run a time limit from the admin launch form or the runs API (minutes)."""
import pytest

from modeling.models import BenchmarkRun, TrainingRun
from modeling.runs.launch_form import BenchmarkLaunchForm
from studies.models import DatasetVersion

pytestmark = pytest.mark.django_db
LAUNCH = {"preset": "custom", "models": ["effnet-lite", "niqe"], "ratios": "7:1:2", "device": "cpu",
          "hyperparameters": {"preset": "tiny"}}


def limits(benchmark: BenchmarkRun) -> dict[str, int | None]:
    return dict(benchmark.training_runs.values_list("model", "time_limit_seconds").distinct())


def test_the_admin_form_sets_each_trained_runs_time_limit(dataset_version, researcher):
    from modeling.runs import services as run_services

    data = {**LAUNCH, "version": dataset_version.pk, "hyperparameters": '{"preset": "tiny"}', "time_limit_minutes": 20}
    bound = BenchmarkLaunchForm(data, versions=DatasetVersion.objects.all())
    assert bound.is_valid(), bound.errors
    assert bound.launch_arguments()["time_limit_seconds"] == 1200
    benchmark = run_services.benchmark_launch(by=researcher, **bound.launch_arguments())
    assert limits(benchmark) == {"effnet-lite": 1200, "niqe": None}, "a classical score has no training to stop"
    too_long = BenchmarkLaunchForm({**data, "time_limit_minutes": 10**6}, versions=DatasetVersion.objects.all())
    assert not too_long.is_valid() and "time_limit_minutes" in too_long.errors


def test_the_runs_api_takes_a_time_limit_in_minutes(client, dataset_version, researcher,
                                                    django_capture_on_commit_callbacks):
    client.force_login(researcher)
    url = f"/api/runs/studies/{dataset_version.study_id}/benchmarks/"
    with django_capture_on_commit_callbacks(execute=False):
        answer = client.post(url, {**LAUNCH, "version_id": dataset_version.pk, "time_limit_minutes": 5},
                             content_type="application/json")
    assert answer.status_code == 201, answer.json()
    assert limits(BenchmarkRun.objects.get(pk=answer.json()["id"])) == {"effnet-lite": 300, "niqe": None}
    refused = client.post(url, {**LAUNCH, "version_id": dataset_version.pk, "time_limit_minutes": 0},
                          content_type="application/json")
    assert refused.status_code == 400 and "time_limit_minutes" in refused.json()
    assert TrainingRun.objects.count() == 2
