"""The split form, the datasets API and the command line take ratios as 7:1:2 or part=weight, and refuse bad ones."""
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from studies.datasets import services as dataset_services
from studies.models import DatasetVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(rated_study, coordinator) -> DatasetVersion:
    return dataset_services.dataset_version_create(study=rated_study, by=coordinator)


@pytest.fixture
def staff(coordinator) -> Client:
    client = Client()
    client.force_login(coordinator)
    return client


def split_parts(study) -> list[str]:
    newest = DatasetVersion.objects.filter(study=study).order_by("-number").first()
    return [newest.splits.get().spec["ratios"], newest.splits.get().name]


@pytest.mark.parametrize("ratios", ["3:1:1", "train=3,val=1,test=1"])
def test_the_datasets_api_reads_both_syntaxes(staff, version, ratios):
    answer = staff.post(f"/api/datasets/studies/{version.study_id}/versions/{version.pk}/splits/",
                        {"kind": "ratio", "seed": 2, "ratios": ratios}, content_type="application/json")
    assert answer.status_code == 201, answer.content
    assert split_parts(version.study) == [[["train", 3.0], ["val", 1.0], ["test", 1.0]], "ratio-3-1-1-s2-r0"]


def test_the_datasets_api_refuses_bad_ratios_with_both_syntaxes(staff, version):
    answer = staff.post(f"/api/datasets/studies/{version.study_id}/versions/{version.pk}/splits/",
                        {"kind": "ratio", "seed": 2, "ratios": "3;1;1"}, content_type="application/json")
    assert answer.status_code == 400 and "7:1:2 (train:val:test) or part=weight" in answer.json()["detail"]


@pytest.mark.parametrize("ratios", ["3:1:1", "train=3,val=1,test=1"])
def test_the_split_form_reads_both_syntaxes(staff, version, ratios):
    staff.post(f"/studies/{version.study_id}/datasets/{version.pk}/splits/",
               {"kind": "ratio", "ratios": ratios, "seed": "2"})
    assert split_parts(version.study) == [[["train", 3.0], ["val", 1.0], ["test", 1.0]], "ratio-3-1-1-s2-r0"]


def test_the_split_form_refuses_bad_ratios_with_a_message(staff, version):
    page = staff.post(f"/studies/{version.study_id}/datasets/{version.pk}/splits/",
                      {"kind": "ratio", "ratios": "3:1", "seed": "2"}, follow=True)
    assert "2 weights, not 3" in page.content.decode() and DatasetVersion.objects.count() == 1


@pytest.mark.parametrize("ratios", ["3:1:1", "train=3,val=1,test=1"])
def test_the_command_line_reads_both_syntaxes(version, ratios):
    call_command("dataset", "split", version.study.slug, str(version.number), "--seed", "2", "--ratios", ratios)
    assert split_parts(version.study) == [[["train", 3.0], ["val", 1.0], ["test", 1.0]], "ratio-3-1-1-s2-r0"]


def test_the_command_line_refuses_bad_ratios(version):
    with pytest.raises(CommandError, match="the weight of val is 'x'"):
        call_command("dataset", "split", version.study.slug, str(version.number), "--seed", "2", "--ratios", "3:x:1")
