"""Exports of a version: every format from the service, the bundle byte for byte, no formulas in CSV cells."""
import csv
import hashlib
import io
import json
import shutil
import subprocess
import uuid
import zipfile

import pytest

from studies import services
from studies.datasets import exports
from studies.datasets import services as dataset_services
from studies.models import DatasetExport, DatasetVersion, Membership, Rating, Stimulus
from tests.conftest import write_image

pytestmark = pytest.mark.django_db
Format = DatasetExport.Format


@pytest.fixture
def version(rated_study, coordinator):
    from studies.datasets.inputs import split_spec_from_options

    base = dataset_services.dataset_version_create(study=rated_study, by=coordinator)
    spec = split_spec_from_options(kind="ratio", seed=3, ratios="train=3,test=2")
    return dataset_services.dataset_split_create(version=base, spec=spec, by=coordinator)


def export(version, user, export_format, split=None) -> DatasetExport:
    started = dataset_services.dataset_export_start(version=version, export_format=export_format, by=user,
                                                    split=split)
    done = dataset_services.dataset_export_run(export_id=started.pk)
    assert done.status == DatasetExport.Status.SUCCEEDED, done.error
    return done


def read(done: DatasetExport) -> bytes:
    with done.file.open("rb") as handle:
        return handle.read()


# Q-Align needs a split: it has its own test. DOVER and T2VQA are video models' labels: test_video_datasets.py.
@pytest.mark.parametrize("export_format", [value for value in Format.values if value not in (Format.QALIGN,
                                                                                             Format.DOVER,
                                                                                             Format.T2VQA)])
def test_every_format_is_written_with_its_checksum(version, coordinator, export_format):
    done = export(version, coordinator, export_format)
    data = read(done)
    assert done.progress == 1.0 and done.size_bytes == len(data) > 0
    assert done.sha256 == hashlib.sha256(data).hexdigest()


def test_qalign_needs_a_split_and_uses_it(version, coordinator):
    from common.errors import DomainError

    without_split = DatasetVersion.objects.get(study=version.study, number=1)
    with pytest.raises(DomainError, match="needs a split"):
        dataset_services.dataset_export_start(version=without_split, export_format=Format.QALIGN, by=coordinator)
    split = version.splits.get()
    done = export(version, coordinator, Format.QALIGN)  # the version's only split is the one the parts follow
    archive = zipfile.ZipFile(io.BytesIO(read(done)))
    assert sorted(archive.namelist()) == sorted(f"{part}.json" for part in set(split.assignment.values()))
    for part in set(split.assignment.values()):
        entries = json.loads(archive.read(f"{part}.json"))
        assert sorted(entry["image"] for entry in entries) == sorted(
            f"images/{name}" for name, named_part in split.assignment.items() if named_part == part)


def test_the_table_lists_every_item_with_its_split(version, coordinator):
    rows = list(csv.DictReader(io.StringIO(read(export(version, coordinator, Format.TABLE_CSV)).decode())))
    split = version.splits.get()
    assert {row["stimulus"] for row in rows} == {item["name"] for item in version.items}
    for row in rows:
        assert row[f"split_{split.name}"] == split.assignment[row["stimulus"]]
        item = next(item for item in version.items if item["name"] == row["stimulus"])
        assert float(row["mos"]) == item["mos"], "floats survive the CSV bit for bit"


def test_the_bundle_holds_the_original_bytes_checksums_and_a_datasheet(version, coordinator):
    archive = zipfile.ZipFile(io.BytesIO(read(export(version, coordinator, Format.BUNDLE))))
    names = set(archive.namelist())
    assert {"README.md", "dataset.csv", "ratings.csv", "dataset.json", "checksums.sha256",
            "plots/mos_histogram.png"} <= names
    for stimulus in Stimulus.objects.filter(study=version.study):
        with stimulus.file.open("rb") as handle:
            original = handle.read()
        entry = archive.getinfo(f"images/{stimulus.name}")
        assert entry.compress_type == zipfile.ZIP_STORED
        assert archive.read(entry) == original
        assert hashlib.sha256(archive.read(entry)).hexdigest() == stimulus.sha256
    checks = dict(reversed(line.split("  ", 1)) for line in archive.read("checksums.sha256").decode().splitlines())
    assert set(checks) == names - {"checksums.sha256"}
    for name, digest in checks.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    readme = archive.read("README.md").decode()
    for heading in ("## Protocol and guideline", "## Raters and screening", "## Statistics", "## Splits"):
        assert heading in readme
    assert version.content_hash in readme and "S006" in readme and "rater5" not in readme
    metadata = json.loads(archive.read("dataset.json"))
    assert metadata["content_hash"] == version.content_hash and metadata["splits"][0]["seed"] == 3
    assert archive.read("plots/mos_histogram.png").startswith(b"\x89PNG")


def test_raw_ratings_carry_history_and_screening(version, coordinator, rated_study):
    first = Rating.objects.filter(study=rated_study).order_by("pk").first()
    Rating.objects.create(study=rated_study, stimulus=first.stimulus, rater=first.rater, score=2,
                          supersedes=first, round=1, change_reason="relabel", verified=False)
    rows = list(csv.DictReader(io.StringIO(read(export(version, coordinator, Format.RATINGS_CSV)).decode())))
    assert len(rows) == Rating.objects.filter(study=rated_study).count() == 61
    relabel = next(row for row in rows if row["supersedes"])
    assert relabel["round"] == "1" and relabel["current"] == "False" and relabel["change_reason"] == "relabel"
    marked = {int(row["rating_id"]) for row in rows if row["current"] == "True"}
    assert first.pk in marked  # its relabel awaits the cross-check
    assert marked == set(Rating.objects.filter(study=rated_study).current().values_list("pk", flat=True))
    assert {row["subject"] for row in rows if row["subject_rejected"] == "True"} == {"S006"}
    assert all(row["screening_reason"] for row in rows if row["subject_rejected"] == "True")


def test_csv_cells_that_look_like_formulas_are_neutralised(coordinator, make_user, tmp_path):
    folder = tmp_path / "evil"
    for index, name in enumerate(["=cmd.png", "+sum.png", "-neg.png", "@at.png"]):
        write_image(folder / name, seed=index)
    (folder / "manifest.csv").write_text(
        "file,source_content,group_kind\n=cmd.png,=HYPERLINK(1),@x\n+sum.png,a,+1\n-neg.png,b,-1\n@at.png,c,=1\n"
    )
    study = services.study_create(name="Evil", slug="evil", created_by=coordinator)
    services.stimuli_import(study=study, source=folder)
    study.status = study.Status.OPEN
    study.save()
    rater = make_user("r")
    services.membership_add(study=study, user=rater, role=Membership.Role.ANNOTATOR)
    for stimulus in study.stimuli.all():
        services.rating_record(study=study, stimulus=stimulus, rater=rater, score=3, client_id=uuid.uuid4(),
                               details={"verified": True})
    computation = services.mos_computation_start(study=study, by=coordinator)
    services.mos_computation_run(computation_id=computation.pk)
    version = dataset_services.dataset_version_create(study=study, by=coordinator)
    for export_format in (Format.TABLE_CSV, Format.RATINGS_CSV, Format.PYIQA):
        text = read(export(version, coordinator, export_format)).decode()
        cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
        if export_format != Format.PYIQA:  # pyiqa names files images/<name>, which never starts a formula
            assert any(cell.startswith("'=") for cell in cells), export_format
        risky = [cell for cell in cells if cell[:1] in ("=", "+", "@") or (cell[:1] == "-" and not _number(cell))]
        assert risky == [], f"{export_format}: {risky}"


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("chunk", [exports.COPY_CHUNK, 100], ids=["whole-files", "streamed-in-chunks"])
def test_the_bundle_written_without_seeking_passes_another_unzip_tool(version, coordinator, tmp_path, monkeypatch,
                                                                      chunk):
    if shutil.which("unzip") is None:
        pytest.skip("the unzip tool (Debian package unzip) is not installed")
    monkeypatch.setattr(exports, "COPY_CHUNK", chunk)  # 100 bytes: every image goes through the streamed path
    path = tmp_path / "bundle.zip"
    path.write_bytes(read(export(version, coordinator, Format.BUNDLE)))
    tested = subprocess.run(["unzip", "-t", str(path)], capture_output=True, text=True, check=False)
    assert tested.returncode == 0 and "No errors detected" in tested.stdout, tested.stdout
    archive = zipfile.ZipFile(path)
    assert archive.testzip() is None
    for stimulus in Stimulus.objects.filter(study=version.study):
        with stimulus.file.open("rb") as handle:
            assert archive.read(f"images/{stimulus.name}") == handle.read()
