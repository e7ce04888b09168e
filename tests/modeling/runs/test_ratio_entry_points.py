"""The admin launch form and the runs API take ratios as 7:1:2 or train=7,val=1,test=2, and refuse bad ones."""
import pytest

from modeling.models import BenchmarkRun
from modeling.runs.launch_form import BenchmarkLaunchForm
from studies.models import DatasetVersion

pytestmark = pytest.mark.django_db
EIGHT_ONE_ONE = [["train", 8.0], ["val", 1.0], ["test", 1.0]]


def form(version, ratios: str) -> BenchmarkLaunchForm:
    return BenchmarkLaunchForm({"version": version.pk, "preset": "custom", "models": ["niqe"], "ratios": ratios,
                                "device": "cpu"}, versions=DatasetVersion.objects.all())


@pytest.mark.parametrize("ratios", ["8:1:1", "train=8,val=1,test=1"])
def test_the_admin_form_reads_both_syntaxes(dataset_version, ratios):
    bound = form(dataset_version, ratios)
    assert bound.is_valid(), bound.errors
    assert [list(pair) for pair in bound.launch_arguments()["protocol"].ratios] == EIGHT_ONE_ONE


@pytest.mark.parametrize(("ratios", "says"), [("8:1", "2 weights, not 3"), ("train=8,val", "part=weight"),
                                              ("8:0:2", "not a positive number")])
def test_the_admin_form_refuses_bad_ratios_on_the_field(dataset_version, ratios, says):
    bound = form(dataset_version, ratios)
    assert not bound.is_valid() and says in bound.errors["ratios"][0]


@pytest.mark.parametrize("ratios", ["8:1:1", "train=8,val=1,test=1"])
def test_the_runs_api_reads_both_syntaxes(client, researcher, dataset_version, django_capture_on_commit_callbacks,
                                         ratios):
    client.force_login(researcher)
    with django_capture_on_commit_callbacks(execute=False):
        answer = client.post(f"/api/runs/studies/{dataset_version.study_id}/benchmarks/",
                             {"version_id": dataset_version.pk, "preset": "custom", "models": ["niqe"],
                              "ratios": ratios, "device": "cpu"}, content_type="application/json")
    assert answer.status_code == 201, answer.json()
    assert BenchmarkRun.objects.get().protocol["ratios"] == EIGHT_ONE_ONE


def test_the_runs_api_refuses_bad_ratios_showing_both_syntaxes(client, researcher, dataset_version):
    client.force_login(researcher)
    answer = client.post(f"/api/runs/studies/{dataset_version.study_id}/benchmarks/",
                         {"version_id": dataset_version.pk, "models": ["niqe"], "ratios": "8-1-1"},
                         content_type="application/json")
    assert answer.status_code == 400 and "cannot be read" in answer.json()["detail"]
    assert "7:1:2 (train:val:test)" in answer.json()["detail"] and not BenchmarkRun.objects.exists()
