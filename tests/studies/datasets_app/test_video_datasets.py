"""Dataset versions of a study rated on several dimensions: a version per dimension, exports that name it,
DOVER labels carrying the aesthetic and technical MOS, and T2VQA labels with the prompts."""
import csv
import hashlib
import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse

from common.errors import DomainError
from moslab_science.datasets.formats import read_dover_labels, read_t2vqa_labels
from studies import services
from studies.datasets import services as dataset_services
from studies.datasets.exports import export_filename
from studies.datasets.inputs import split_spec_from_options
from studies.datasets.snapshot import hash_version
from studies.models import DatasetExport, DatasetVersion, Membership, MosComputation, Rating
from tests.studies.conftest import CLIPS, RATERS

pytestmark = pytest.mark.django_db
Format = DatasetExport.Format


def computed(study, coordinator, dimension, method="mean") -> MosComputation:
    computation = services.mos_computation_start(study=study, by=coordinator, method=method, dimension=dimension)
    computation = services.mos_computation_run(computation_id=computation.pk)
    assert computation.status == MosComputation.Status.SUCCEEDED, computation.error
    return computation


def export(version, user, export_format) -> DatasetExport:
    started = dataset_services.dataset_export_start(version=version, export_format=export_format, by=user)
    return dataset_services.dataset_export_run(export_id=started.pk)


def read(done: DatasetExport) -> bytes:
    assert done.status == DatasetExport.Status.SUCCEEDED, done.error
    with done.file.open("rb") as handle:
        return handle.read()


def mos_of(version) -> dict[str, float]:
    return {item["name"]: item["mos"] for item in version.items}


@pytest.fixture
def versions(video_study, coordinator) -> dict[str, DatasetVersion]:
    made = {}
    for dimension in ("technical", "aesthetic", "alignment"):
        computed(video_study, coordinator, dimension, method="correlation" if dimension == "technical" else "mean")
        made[dimension] = dataset_services.dataset_version_create(study=video_study, by=coordinator,
                                                                  dimension=dimension)
    return made


def test_a_version_snapshots_one_dimension(video_study, coordinator, versions):
    technical = versions["technical"]
    computation = MosComputation.objects.get(study=video_study, dimension="technical")
    assert technical.dimension == "technical" and technical.computation == computation
    assert mos_of(technical) == {r.stimulus.name: r.mos for r in computation.results.select_related("stimulus")}
    assert [entry["subject"] for entry in technical.exclusions] == ["S006"], "rater5 was screened out on technical"
    assert versions["aesthetic"].exclusions == []
    assert len({version.content_hash for version in versions.values()}) == 3
    with pytest.raises(DomainError, match="no succeeded MOS computation yet"):
        dataset_services.dataset_version_create(study=video_study, by=coordinator)  # no single-score MOS here
    spec = split_spec_from_options(kind="ratio", seed=1, ratios="train=2,test=1", group_by="")
    derived = dataset_services.dataset_split_create(version=technical, by=coordinator, spec=spec)
    assert derived.dimension == "technical" and mos_of(derived) == mos_of(technical)
    compared = dataset_services.dataset_version_compare(old=versions["aesthetic"], new=technical)
    assert compared["method_changed"]["dimension"] == ["aesthetic", "technical"]


def test_a_dimension_without_a_computation_is_refused(video_study, coordinator):
    with pytest.raises(DomainError, match="no succeeded MOS computation of dimension 'alignment'"):
        dataset_services.dataset_version_create(study=video_study, by=coordinator, dimension="alignment")


def test_the_single_score_hash_is_unchanged_by_dimensions():
    items = [{"name": "a", "sha256": "", "mos": 3, "std": None, "ci95": None, "count": 2, "source_content": "",
              "groups": {}}]
    plain = hash_version(items=items, scale=(1, 5), splits={})
    assert plain == hash_version(items=items, scale=(1, 5), splits={}, dimension="")
    assert plain != hash_version(items=items, scale=(1, 5), splits={}, dimension="technical")


def test_dover_labels_carry_aesthetic_and_technical_as_dover_reads_them(versions, coordinator):
    aesthetic, technical = mos_of(versions["aesthetic"]), mos_of(versions["technical"])
    for dimension, version in versions.items():
        done = export(version, coordinator, Format.DOVER)
        lines = read_dover_labels(io.BytesIO(read(done)), dimensions=True)
        assert [line[0] for line in lines] == [f"images/{name}" for name in sorted(technical)]
        label = mos_of(version)
        for path, a, t, overall in lines:
            name = path.removeprefix("images/")
            assert (a, t, overall) == (aesthetic[name], technical[name], label[name])  # bit for bit
        assert export_filename(done) == f"t2v-v{version.number}-{dimension}-dover.txt"
    first = read(export(versions["technical"], coordinator, Format.DOVER)).decode().splitlines()[0]
    filename, a, t, label = first.strip().split(",")  # DOVER's own parsing
    assert float(label) == float(t), "a technical version's label is its own MOS"


def test_dover_middle_fields_stay_zero_without_both_dimensions_over_the_same_items(video_study, coordinator):
    computed(video_study, coordinator, "technical")
    technical = dataset_services.dataset_version_create(study=video_study, by=coordinator, dimension="technical")
    only_technical = read_dover_labels(io.BytesIO(read(export(technical, coordinator, Format.DOVER))), dimensions=True)
    assert {(a, t) for _, a, t, _ in only_technical} == {(0.0, 0.0)}
    last = video_study.stimuli.order_by("name").last()
    Rating.objects.filter(stimulus=last, dimension="aesthetic").update(verified=False)  # no aesthetic MOS for it
    computed(video_study, coordinator, "aesthetic")
    aesthetic = dataset_services.dataset_version_create(study=video_study, by=coordinator, dimension="aesthetic")
    assert len(aesthetic.items) == CLIPS - 1
    lines = read_dover_labels(io.BytesIO(read(export(technical, coordinator, Format.DOVER))), dimensions=True)
    assert {(a, t) for _, a, t, _ in lines} == {(0.0, 0.0)}, "another item set is not mixed in"


def test_t2vqa_labels_carry_the_prompt_as_t2vqa_reads_them(versions, coordinator, video_study):
    version = versions["alignment"]
    done = export(version, coordinator, Format.T2VQA)
    text = read(done).decode()
    prompts = dict(video_study.stimuli.values_list("name", "prompt"))
    for line in text.splitlines():
        filename, prompt, label = line.strip().split("|")  # T2VQA's own parsing
        name = filename.removeprefix("images/")
        assert prompt == prompts[name] and float(label) == mos_of(version)[name]
    assert len(read_t2vqa_labels(io.StringIO(text))) == CLIPS
    assert export_filename(done) == f"t2v-v{version.number}-alignment-t2vqa.txt"


def test_an_image_study_is_not_offered_video_labels(client, rated_study, coordinator):
    version = dataset_services.dataset_version_create(study=rated_study, by=coordinator)
    for export_format in (Format.DOVER, Format.T2VQA):
        with pytest.raises(DomainError, match="format of video quality models, and this study's stimuli are images"):
            dataset_services.dataset_export_start(version=version, export_format=export_format, by=coordinator)
    services.membership_add(study=rated_study, user=coordinator, role=Membership.Role.COORDINATOR)
    client.force_login(coordinator)
    offered = client.get(reverse("studies:dataset-version", args=[rated_study.pk, version.pk])).context["formats"]
    assert {value for value, _ in offered} == set(Format.values) - {Format.DOVER, Format.T2VQA}
    response = client.post(reverse("studies:dataset-export-create", args=[rated_study.pk, version.pk]),
                           {"format": Format.DOVER}, follow=True)
    assert "study&#x27;s stimuli are images" in response.content.decode()
    assert not DatasetExport.objects.filter(version=version).exists()


def test_dover_says_when_its_middle_fields_are_placeholders(client, video_study, coordinator, versions):
    services.membership_add(study=video_study, user=coordinator, role=Membership.Role.COORDINATOR)
    client.force_login(coordinator)
    formats = dict(client.get(reverse("studies:dataset-version", args=[video_study.pk, versions["alignment"].pk]))
                   .context["formats"])
    assert formats[Format.DOVER] == Format.DOVER.label, "aesthetic and technical versions cover the same items"
    DatasetVersion.objects.filter(study=video_study, dimension="aesthetic").delete()
    formats = dict(client.get(reverse("studies:dataset-version", args=[video_study.pk, versions["alignment"].pk]))
                   .context["formats"])
    assert "written 0, 0, DOVER's placeholder" in formats[Format.DOVER]
    assert Format.T2VQA in formats


def test_t2vqa_refuses_items_without_a_prompt(video_study, coordinator):
    computed(video_study, coordinator, "alignment")
    video_study.stimuli.filter(pk=video_study.stimuli.order_by("name").first().pk).update(prompt="")
    version = dataset_services.dataset_version_create(study=video_study, by=coordinator, dimension="alignment")
    done = export(version, coordinator, Format.T2VQA)
    assert done.status == DatasetExport.Status.FAILED and "have no text prompt, which T2VQA reads" in done.error


def test_exports_hold_the_votes_of_the_versions_dimension_only(versions, coordinator, video_study):
    technical = versions["technical"]
    rows = list(csv.DictReader(io.StringIO(read(export(technical, coordinator, Format.RATINGS_CSV)).decode())))
    technical_votes = Rating.objects.filter(study=video_study, dimension="technical")
    assert len(rows) == technical_votes.count() == CLIPS * RATERS
    assert sorted(float(row["score"]) for row in rows) == sorted(technical_votes.values_list("score", flat=True))
    rejected = {row["subject"] for row in rows if row["subject_rejected"] == "True"}
    assert rejected == {"S006"}
    sujson = json.loads(read(export(versions["aesthetic"], coordinator, Format.SUJSON)))
    aesthetic_scores = sorted(Rating.objects.filter(study=video_study, dimension="aesthetic")
                              .values_list("score", flat=True))
    assert sorted(score["score"] for score in sujson["scores"]) == aesthetic_scores


def test_the_bundle_names_the_dimension_and_stores_the_clips_byte_for_byte(versions, coordinator, video_study):
    archive = zipfile.ZipFile(io.BytesIO(read(export(versions["aesthetic"], coordinator, Format.BUNDLE))))
    assert json.loads(archive.read("dataset.json"))["dimension"] == "aesthetic"
    assert "of the rating dimension `aesthetic`" in archive.read("README.md").decode()
    for stimulus in video_study.stimuli.all():
        with stimulus.file.open("rb") as handle:
            original = handle.read()
        stored = archive.read(f"images/{stimulus.name}")
        assert stored == original and hashlib.sha256(stored).hexdigest() == stimulus.sha256


def test_pages_api_and_command_take_the_dimension(client, video_study, coordinator, capsys):
    computed(video_study, coordinator, "technical")
    computed(video_study, coordinator, "aesthetic")
    client.force_login(coordinator)
    page = client.get(reverse("studies:detail", args=[video_study.pk])).content.decode()
    assert page.count('<select name="dimension">') == 2, "the MOS form and the version form"
    response = client.post(reverse("studies:dataset-version-create", args=[video_study.pk]),
                           {"label": "tech", "dimension": "technical"})
    version = DatasetVersion.objects.get(study=video_study)
    assert response.status_code == 302 and version.dimension == "technical"
    api = client.post(reverse("datasets-api:version-list", args=[video_study.pk]), {"dimension": "aesthetic"},
                      content_type="application/json")
    assert api.status_code == 201, api.content
    assert api.json()["dimension"] == "aesthetic"
    call_command("dataset", "version", "t2v", "--dimension", "technical")
    assert "Version 3 of t2v, dimension technical" in capsys.readouterr().out
    detail = client.get(reverse("studies:dataset-version", args=[video_study.pk,
                                                               DatasetVersion.objects.get(number=3).pk]))
    html = detail.content.decode()
    assert 'id="version-dimension">technical' in html and "Changes since v1 (the previous technical version)" in html
    listing = client.get(reverse("studies:detail", args=[video_study.pk])).content.decode()
    assert "<td>technical</td>" in listing and "<td>aesthetic</td>" in listing


def test_the_admin_action_takes_a_version_per_dimension(admin_client, video_study, coordinator):
    computed(video_study, coordinator, "technical")
    computed(video_study, coordinator, "aesthetic")
    response = admin_client.post(reverse("admin:studies_study_changelist"), {
        "action": "take_dataset_version", "_selected_action": [video_study.pk]}, follow=True)
    text = response.content.decode()
    assert sorted(DatasetVersion.objects.filter(study=video_study).values_list("dimension", flat=True)) == [
        "aesthetic", "technical"]
    assert "Text to video (technical): dataset version 1" in text
    assert "Text to video (alignment): The study has no succeeded MOS computation of dimension" in text


def test_the_sujson_of_a_dimension_version_names_its_dimension(versions, coordinator):
    for dimension, version in versions.items():
        document = json.loads(read(export(version, coordinator, Format.SUJSON)))
        assert document["questions"][0]["question"] == dimension
        assert document["characteristics"]["dimension"] == dimension
