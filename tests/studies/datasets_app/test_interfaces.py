"""The same services from the admin, the API and the command line, scoped to the study and the user."""
import io
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from studies.datasets import api as dataset_api
from studies.datasets import services as dataset_services
from studies.models import DatasetExport, DatasetVersion, Membership, Rating, Stimulus, Study

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make_user) -> Client:
    client = Client()
    client.force_login(make_user("boss", is_staff=True, is_superuser=True))
    return client


def zipped(folder) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)
    buffer.seek(0)
    buffer.name = "images.zip"
    return buffer


def test_admin_imports_a_mos_table_with_an_image_zip(admin_client, small_biq):
    table, images = small_biq
    with table.open("rb") as handle:
        response = admin_client.post(reverse("admin:studies_datasetimport_add"), {
            "name": "BIQ", "slug": "biq", "source_format": "mos_table", "table": handle, "images": zipped(images),
            "scale_min": 0, "scale_max": 1, "group_columns": "source_subset",
        })
    assert response.status_code == 302, response.content.decode()[-2000:]
    study = Study.objects.get(slug="biq")
    assert study.stimuli.exclude(sha256="").count() == 8


def test_admin_import_errors_are_shown_and_nothing_is_written(admin_client, small_biq):
    table, images = small_biq
    with table.open("rb") as handle:
        response = admin_client.post(reverse("admin:studies_datasetimport_add"), {
            "name": "BIQ", "slug": "biq", "source_format": "mos_table", "table": handle, "images": zipped(images),
            "scale_min": 0, "scale_max": 1, "mos_column": "score",
        }, follow=True)
    assert "score" in response.content.decode() and not Study.objects.exists()


def test_admin_pages_of_versions_and_exports_are_read_only(admin_client, rated_study, coordinator):
    version = dataset_services.dataset_version_create(study=rated_study, by=coordinator)
    page = admin_client.get(reverse("admin:studies_datasetversion_change", args=[version.pk]))
    assert page.status_code == 200 and version.content_hash in page.content.decode()
    assert admin_client.post(reverse("admin:studies_datasetversion_change", args=[version.pk]),
                             {"label": "edited"}).status_code == 403
    assert admin_client.get(reverse("admin:studies_datasetversion_add")).status_code == 403
    assert admin_client.get(reverse("admin:studies_datasetexport_changelist")).status_code == 200


def test_command_line_import_version_split_export_compare(coordinator, small_long_ratings, tmp_path, capsys):
    call_command("dataset", "import", "isr", str(small_long_ratings), "--format", "long_ratings", "--scale", "1", "5",
                 "--split-column", "split", "--source-content-column", "hr_ref", "--by", coordinator.username)
    study = Study.objects.get(slug="isr")
    assert Rating.objects.filter(study=study).count() == 40
    call_command("dataset", "version", "isr")
    call_command("dataset", "split", "isr", "1", "--seed", "5", "--ratios", "train=8,val=1,test=1")
    out = tmp_path / "isr.csv"
    call_command("dataset", "export", "isr", "2", "--format", "table_csv", "--out", str(out))
    call_command("dataset", "compare", "isr", "1", "2")
    printed = capsys.readouterr().out
    assert "splits_added" in printed and DatasetVersion.objects.filter(study=study).count() == 2
    header = out.read_text().splitlines()[0]
    assert "split_official" in header and header.count("split_") == 2
    with pytest.raises(CommandError, match="no dataset version 9"):
        call_command("dataset", "export", "isr", "9", "--format", "table_csv", "--out", str(out))
    with pytest.raises(CommandError, match="exists already"):
        call_command("dataset", "import", "isr", str(out), "--format", "mos_table", "--scale", "1", "5",
                     "--name-column", "stimulus", "--by", coordinator.username)


def test_api_versions_splits_exports_and_download(rated_study, coordinator):
    client = Client()
    client.force_login(coordinator)
    base = f"/api/datasets/studies/{rated_study.pk}"
    created = client.post(f"{base}/versions/", {"label": "api"}, content_type="application/json")
    assert created.status_code == 201, created.content
    version_id = created.json()["id"]
    split = client.post(f"{base}/versions/{version_id}/splits/", {"kind": "kfold", "seed": 1, "folds": 5,
                                                                   "ratios": ""}, content_type="application/json")
    assert split.status_code == 201, split.content
    derived = split.json()
    assert len(derived["splits"]) == 5 and derived["derived_from"] == version_id
    compare = client.get(f"{base}/versions/{derived['id']}/compare/{version_id}/").json()
    assert len(compare["splits_added"]) == 5
    bad = client.post(f"{base}/exports/", {"version_id": version_id, "format": "qalign"},
                      content_type="application/json")
    assert bad.status_code == 400 and "needs a split" in bad.json()["detail"]
    export = client.post(f"{base}/exports/", {"version_id": version_id, "format": "table_json"},
                         content_type="application/json")
    assert export.status_code == 201 and export.json()["status"] == "queued"
    dataset_services.dataset_export_run(export_id=export.json()["id"])
    detail = client.get(f"{base}/exports/{export.json()['id']}/").json()
    assert detail["status"] == "succeeded" and detail["progress"] == 1.0
    download = client.get(f"{base}/exports/{export.json()['id']}/download/")
    body = b"".join(download.streaming_content)
    assert download.status_code == 200 and download["X-Content-SHA256"] == detail["sha256"]
    assert len(body) == detail["size_bytes"]


def test_other_studies_are_out_of_reach(rated_study, coordinator, make_user, study):
    outsider = make_user("outsider")
    version = dataset_services.dataset_version_create(study=rated_study, by=coordinator)
    started = dataset_services.dataset_export_start(version=version, export_format="table_csv", by=coordinator)
    dataset_services.dataset_export_run(export_id=started.pk)
    client = Client()
    client.force_login(outsider)
    base = f"/api/datasets/studies/{rated_study.pk}"
    assert client.get(f"{base}/versions/").status_code == 403
    assert client.get(f"{base}/exports/{started.pk}/download/").status_code == 403
    assert client.get(f"/studies/{rated_study.pk}/dataset-exports/{started.pk}/download").status_code == 404
    annotator = Membership.objects.filter(study=rated_study, role="annotator").first().user
    client.force_login(annotator)
    assert client.get(f"{base}/versions/{version.pk}/").status_code == 403, "annotators see no MOS"
    client.force_login(coordinator)  # coordinator of both studies: ids of one study do not work in the other
    assert client.get(f"/api/datasets/studies/{study.pk}/versions/{version.pk}/").status_code == 403
    assert client.get(f"/studies/{study.pk}/dataset-exports/{started.pk}/download").status_code == 404
    assert client.post("/api/datasets/imports/", {}).status_code == 403, "imports are for staff"


def test_study_page_lists_versions_and_exports_download_as_a_stream(rated_study, coordinator):
    client = Client()
    client.force_login(coordinator)
    response = client.post(f"/studies/{rated_study.pk}/datasets/", {"label": "page"}, follow=True)
    version = DatasetVersion.objects.get(study=rated_study)
    assert version.content_hash in response.content.decode()
    page = client.get(f"/studies/{rated_study.pk}/").content.decode()
    assert 'id="datasets"' in page and version.content_hash[:12] in page
    response = client.post(f"/studies/{rated_study.pk}/datasets/{version.pk}/splits/",
                           {"kind": "ratio", "ratios": "train=4,test=1", "seed": "4"}, follow=True)
    derived = DatasetVersion.objects.get(study=rated_study, number=2)
    assert derived.splits.count() == 1 and "ratio" in response.content.decode()
    client.post(f"/studies/{rated_study.pk}/datasets/{derived.pk}/exports/", {"format": "bundle"})
    export = DatasetExport.objects.get(version=derived)
    dataset_services.dataset_export_run(export_id=export.pk)
    download = client.get(f"/studies/{rated_study.pk}/dataset-exports/{export.pk}/download")
    assert download.streaming and zipfile.is_zipfile(io.BytesIO(b"".join(download.streaming_content)))


def test_schema_lists_the_dataset_api_without_warnings():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    views = [name for name, value in vars(dataset_api).items() if isinstance(value, type) and name.endswith("Api")]
    warnings = [message for message in {**GENERATOR_STATS._warn_cache, **GENERATOR_STATS._error_cache}
                if "dataset" in message or any(view in message for view in views)]
    assert len(views) == 10 and warnings == []
    paths = schema["paths"]
    for path in ("/api/datasets/imports/", "/api/datasets/studies/{study_id}/versions/{version_id}/splits/",
                 "/api/datasets/studies/{study_id}/exports/{export_id}/download/"):
        assert path in paths
    upload = paths["/api/datasets/imports/"]["post"]["requestBody"]["content"]
    assert list(upload) == ["multipart/form-data"]
    fields = schema["components"]["schemas"][upload["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert fields["properties"]["table"]["format"] == "binary"
    assert {"200", "201"} <= set(paths["/api/datasets/imports/"]["post"]["responses"])


def post_import(client, table, images, **fields):
    with table.open("rb") as handle:
        return client.post("/api/datasets/imports/", {
            "name": "BIQ", "slug": "biq", "source_format": "mos_table", "table": handle, "images": zipped(images),
            "scale_min": 0, "scale_max": 1, "group_columns": "source_subset", **fields,
        })


def test_api_import_by_a_staff_user(small_biq, make_user, media_root):
    table, images = small_biq
    client = Client()
    client.force_login(make_user("staff", is_staff=True))
    response = post_import(client, table, images)
    assert response.status_code == 201, response.content
    body = response.json()
    study = Study.objects.get(slug="biq")
    assert body == {"study_id": study.pk, "created": True, "stimuli": 8, "with_media": 8, "votes": 0, "warnings": []}
    assert study.origin == Study.Origin.IMPORTED and study.stimuli.exclude(sha256="").count() == 8
    again = post_import(client, table, images)
    assert again.status_code == 200 and again.json()["created"] is False


def test_api_import_of_a_bad_file_is_refused_with_every_problem_listed(small_biq, make_user, media_root):
    table, images = small_biq
    (images / "ss01_0.jpg").write_bytes(b"not an image")
    client = Client()
    client.force_login(make_user("staff", is_staff=True))
    misnamed = post_import(client, table, images, mos_column="score")
    assert misnamed.status_code == 400
    assert "nothing was written" in misnamed.json()["detail"]
    assert any("'score'" in problem and "mos" in problem for problem in misnamed.json()["problems"])
    bad_image = post_import(client, table, images)
    assert bad_image.status_code == 400
    problems = bad_image.json()["problems"]
    assert len(problems) == 1 and "ss01_0.jpg" in problems[0]
    assert not Study.objects.exists() and not Stimulus.objects.exists()
    assert not media_root.exists() or not [path for path in media_root.rglob("*") if path.is_file()]


def test_admin_action_takes_a_dataset_version(admin_client, rated_study, study):
    response = admin_client.post(reverse("admin:studies_study_changelist"), {
        "action": "take_dataset_version", "_selected_action": [rated_study.pk, study.pk]}, follow=True)
    text = response.content.decode()
    version = DatasetVersion.objects.get(study=rated_study)
    assert f"dataset version 1 ({version.content_hash[:12]})" in text
    assert "no succeeded MOS computation" in text and not DatasetVersion.objects.filter(study=study).exists()
