"""Every media read and write goes through Django's storage API: with the media on an object-like storage (files
in memory, no local path, nothing under MEDIA_ROOT) and on a real S3 server (moto) through django-storages,
import, serving, exports, predictions and the rater simulator work as they do on disk."""
import io
import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse

from modeling.dashboards import selectors as dashboard_selectors
from modeling.dashboards import services as dashboard_services
from studies.datasets import services as dataset_services
from studies.datasets.imports import dataset_import
from studies.datasets.models import DatasetExport
from studies.models import Rating
from tests.annotation.helpers import video_study
from tests.modeling.runs.conftest import write_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["object-like", "s3"])
def off_disk(request):
    """The media storage off disk: in memory, or django-storages' S3 backend on a local S3 server."""
    return request.getfixturevalue("storage_elsewhere" if request.param == "object-like" else "s3_storage")


def test_import_serving_export_and_predictions_with_media_off_disk(off_disk, coordinator, client, tmp_path):
    storage_elsewhere = off_disk
    table, images = write_dataset(tmp_path / "bright", count=6)
    report = dataset_import(name="Elsewhere", slug="elsewhere", by=coordinator, source_format="mos_table",
                            source=table, images=images, scale=(1, 5), options={"name": "image", "mos": "mos"})
    stimuli = list(report.study.stimuli.order_by("name"))
    assert len(stimuli) == 6
    assert all(storage_elsewhere.exists(stimulus.file.name) for stimulus in stimuli)
    with pytest.raises(NotImplementedError):
        stimuli[0].file.path  # noqa: B018 (no local file exists: the code under test must not need one)

    client.force_login(coordinator)
    url = reverse("studies:stimulus-media", args=[report.study.pk, stimuli[0].pk])
    original = (images / stimuli[0].name).read_bytes()
    whole = client.get(url)
    assert whole.status_code == 200 and b"".join(whole.streaming_content) == original
    part = client.get(url, HTTP_RANGE="bytes=2-9")
    assert part.status_code == 206 and b"".join(part.streaming_content) == original[2:10]

    version = dataset_services.dataset_version_create(study=report.study, by=coordinator)
    export = dataset_services.dataset_export_start(version=version, export_format=DatasetExport.Format.BUNDLE,
                                                   by=coordinator, enqueue=False)
    export = dataset_services.dataset_export_run(export_id=export.pk)
    assert export.status == DatasetExport.Status.SUCCEEDED, export.error
    assert storage_elsewhere.exists(export.file.name)
    download = client.get(reverse("studies:dataset-export-download", args=[report.study.pk, export.pk]))
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as bundle:
        entries = {name.rsplit("/", 1)[-1]: name for name in bundle.namelist()}
        for stimulus in stimuli:  # byte for byte, read from the storage
            assert bundle.read(entries[stimulus.name]) == (images / stimulus.name).read_bytes()

    content = ("image,score\n" + "".join(f"{s.name},{index}\n" for index, s in enumerate(stimuli))).encode()
    stored_set = dashboard_services.prediction_set_store(study=report.study, model="elsewhere", content=content)
    assert storage_elsewhere.exists(stored_set.name)
    [listed] = dashboard_selectors.prediction_sets_for_study(study=report.study)
    assert listed.scores() == {stimulus.name: float(index) for index, stimulus in enumerate(stimuli)}


def test_the_rater_simulator_reads_clips_from_the_storage(storage_elsewhere, coordinator, make_user, tmp_path):
    study, _ = video_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "clips", clips=1,
                           annotators=0, slug="sim-elsewhere", raters_per_stimulus=2)
    assert storage_elsewhere.exists(study.stimuli.get().file.name)
    call_command("simulate_raters", "sim-elsewhere", "--raters", "2", stdout=io.StringIO())
    assert Rating.objects.filter(study=study).count() == 2
