"""The real datasets of ../shared/data: BIQ2021 (3,000 JPEGs) and the ISRGen-QA raw ratings, CLI and admin."""
import csv
import hashlib
import io
import zipfile

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from studies import services
from studies.datasets import services as dataset_services
from studies.models import ImportedMos, Rating, Stimulus, Study

from .conftest import require_shared

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


def test_biq2021_from_the_command_line(shared_data, coordinator):
    """All 3,000 images: stored byte for byte, MOS as published on 0..1, groups from source_subset."""
    folder = require_shared(shared_data / "biq2021-dev")
    call_command("dataset", "import", "biq", str(folder / "mos.csv"), "--format", "mos_table", "--scale", "0", "1",
                 "--images", str(folder / "images"), "--group-columns", "source_subset", "--by", coordinator.username)
    study = Study.objects.get(slug="biq")
    with (folder / "mos.csv").open(newline="") as handle:
        published = {row["image"]: float(row["mos"]) for row in csv.DictReader(handle)}
    assert dict(ImportedMos.objects.filter(stimulus__study=study).values_list("stimulus__name", "mos")) == published
    sample = Stimulus.objects.filter(study=study).order_by("name")[::500]
    for stimulus in sample:
        assert stimulus.sha256 == hashlib.sha256((folder / "images" / stimulus.name).read_bytes()).hexdigest()
    version = dataset_services.dataset_version_create(study=study, by=coordinator)
    assert len(version.items) == 3000 and {item["groups"]["source_subset"] for item in version.items} == \
        {"ss01", "ss02", "ss03"}


def test_biq2021_from_the_admin(shared_data, make_user):
    """The admin form with the published table and a zip of all 3,000 images."""
    folder = require_shared(shared_data / "biq2021-dev")
    images = io.BytesIO()
    with zipfile.ZipFile(images, "w") as archive:
        for path in sorted((folder / "images").iterdir()):
            archive.write(path, path.name)
    images.seek(0)
    images.name = "images.zip"
    client = Client()
    client.force_login(make_user("boss", is_staff=True, is_superuser=True))
    with (folder / "mos.csv").open("rb") as handle:
        response = client.post(reverse("admin:studies_datasetimport_add"), {
            "name": "BIQ2021 dev", "slug": "biq", "source_format": "mos_table", "table": handle, "images": images,
            "scale_min": 0, "scale_max": 1, "group_columns": "source_subset",
        })
    assert response.status_code == 302
    assert Stimulus.objects.filter(study__slug="biq").exclude(sha256="").count() == 3000


@pytest.mark.parametrize("how", ["command line", "admin"])
def test_isrgen_qa_raw_ratings(shared_data, make_user, how):
    """720 images x 21 subjects, no images: 15,120 votes whose plain mean is the published MOS."""
    ratings = require_shared(shared_data / "raw-ratings" / "isrgen-qa" / "raw_ratings_long.csv")
    boss = make_user("boss", is_staff=True, is_superuser=True)
    if how == "command line":
        call_command("dataset", "import", "isrgen", str(ratings), "--format", "long_ratings", "--scale", "1", "5",
                     "--split-column", "split", "--source-content-column", "hr_ref", "--by", "boss")
    else:
        client = Client()
        client.force_login(boss)
        with ratings.open("rb") as handle:
            response = client.post(reverse("admin:studies_datasetimport_add"), {
                "name": "ISRGen-QA", "slug": "isrgen", "source_format": "long_ratings", "table": handle,
                "scale_min": 1, "scale_max": 5, "split_column": "split", "source_content_column": "hr_ref",
            })
        assert response.status_code == 302
    study = Study.objects.get(slug="isrgen")
    assert Rating.objects.filter(study=study).count() == 15120 and study.stimuli.count() == 720
    computation = services.mos_computation_start(study=study, by=boss, method="mean")
    assert services.mos_computation_run(computation_id=computation.pk).status == "succeeded"
    version = dataset_services.dataset_version_create(study=study, by=boss)
    with (ratings.parent / "mos.csv").open(newline="") as handle:
        published = {row["image"]: float(row["mos_given"]) for row in csv.DictReader(handle)}
    assert max(abs(item["mos"] - published[item["name"]]) for item in version.items) < 1e-12
    official = version.splits.get(name="official")
    parts = list(official.assignment.values())
    assert (parts.count("train"), parts.count("val"), parts.count("test")) == (576, 72, 72)
