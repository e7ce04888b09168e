"""Imports of public datasets into imported studies: all or nothing, idempotent, every problem listed."""
import itertools
import zipfile

import pytest
from django.db import DatabaseError

from common.errors import DomainError
from moslab_science.ingest import parallel
from studies import services, stimulus_rows
from studies.datasets import services as dataset_services
from studies.datasets.imports import dataset_import
from studies.models import DatasetImport, ImportedMos, ImportedSubject, Rating, Stimulus, Study
from tests.conftest import write_image

from .conftest import write_mos_table

pytestmark = pytest.mark.django_db
BIQ = {"name": "image", "mos": "mos", "group_columns": ["source_subset"]}


def stored_files(media_root) -> list:
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


def import_biq(coordinator, table, images, slug="biq", **extra):
    return dataset_import(name="BIQ", slug=slug, by=coordinator, source_format="mos_table", source=table,
                          images=images, scale=(0, 1), options={**BIQ, **extra})


def test_a_mos_table_with_images_becomes_an_imported_study(coordinator, small_biq, media_root):
    table, images = small_biq
    report = import_biq(coordinator, table, images)
    study = report.study
    assert report.created and report.stimuli == report.with_media == 8 and report.votes == 0
    assert study.origin == Study.Origin.IMPORTED and study.status == Study.Status.CLOSED
    assert (study.scale_min, study.scale_max) == (0, 1)
    for stimulus in Stimulus.objects.filter(study=study):
        with stimulus.file.open("rb") as handle:
            assert handle.read() == (images / stimulus.name).read_bytes()
        assert stimulus.groups["source_subset"] == stimulus.name[:4]
    assert sorted(ImportedMos.objects.filter(stimulus__study=study).values_list("mos", flat=True)) == \
        [round(0.1 + index * 0.1, 4) for index in range(8)]
    version = dataset_services.dataset_version_create(study=study, by=coordinator)
    assert version.method == "imported" and version.computation is None and len(version.items) == 8


def test_importing_the_same_data_again_is_a_no_op(coordinator, small_biq):
    table, images = small_biq
    import_biq(coordinator, table, images)
    again = import_biq(coordinator, table, images)
    assert not again.created and Study.objects.count() == 1 and Stimulus.objects.count() == 8
    write_mos_table(table.parent, [("ss01_0.jpg", 0.5, "ss01")])
    with pytest.raises(DomainError, match="exists already"):
        import_biq(coordinator, table, images)


def test_raw_long_ratings_without_images_become_votes(coordinator, small_long_ratings):
    report = dataset_import(name="ISR", slug="isr", by=coordinator, source_format="long_ratings",
                            source=small_long_ratings, scale=(1, 5),
                            options={"split_column": "split", "source_content": "hr_ref"})
    study = report.study
    assert report.stimuli == 10 and report.with_media == 0 and report.votes == 40
    assert set(Stimulus.objects.filter(study=study).values_list("sha256", "file")) == {("", "")}
    subjects = ImportedSubject.objects.filter(study=study).select_related("user")
    assert sorted(subject.label for subject in subjects) == ["P1", "P2", "P3", "P4"]
    assert not any(subject.user.is_active or subject.user.has_usable_password() for subject in subjects)
    assert Rating.objects.filter(study=study).current().count() == 40, "imported votes count as verified ratings"
    official = DatasetImport.objects.get(study=study).splits["official"]
    assert sorted(official.values()).count("train") == 6
    computation = services.mos_computation_start(study=study, by=coordinator, method="mean")
    assert services.mos_computation_run(computation_id=computation.pk).status == "succeeded"
    version = dataset_services.dataset_version_create(study=study, by=coordinator)
    imported = dict(ImportedMos.objects.filter(stimulus__study=study).values_list("stimulus__name", "mos"))
    assert all(abs(item["mos"] - imported[item["name"]]) < 1e-12 for item in version.items)
    assert version.splits.get().name == "official"


def refused(coordinator, media_root, call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    assert not Study.objects.exists() and not Stimulus.objects.exists() and not Rating.objects.exists()
    assert stored_files(media_root) == []
    assert "nothing was written" in str(caught.value)
    return caught.value


def test_missing_or_misnamed_columns_are_named(coordinator, small_biq, media_root):
    table, images = small_biq
    error = refused(coordinator, media_root, lambda: import_biq(coordinator, table, images, mos="MOS_score"))
    assert "MOS_score" in str(error) and "mos" in str(error)


def test_duplicate_names_and_off_scale_mos_are_all_listed(coordinator, small_biq, media_root):
    table, images = small_biq
    write_mos_table(table.parent, [("ss01_0.jpg", 0.5, "ss01"), ("ss01_0.jpg", 0.6, "ss01"),
                                   ("ss02_1.jpg", 3.5, "ss02")])
    error = refused(coordinator, media_root, lambda: import_biq(coordinator, table, images))
    assert "ss01_0.jpg" in str(error) and "ss02_1.jpg" in str(error) and len(error.problems) >= 2


@pytest.mark.parametrize("spoil", ["non-image", "bomb", "missing"])
def test_bad_images_refuse_the_whole_import(coordinator, small_biq, media_root, settings, spoil):
    table, images = small_biq
    settings.MOSLAB_MAX_IMAGE_PIXELS = 1_000_000
    if spoil == "non-image":
        (images / "ss01_0.jpg").write_text("not an image")
    elif spoil == "bomb":
        write_image(images / "ss01_0.jpg", size=(1100, 1000), image_format="JPEG")
    else:
        (images / "ss01_0.jpg").unlink()
    error = refused(coordinator, media_root, lambda: import_biq(coordinator, table, images))
    assert any("ss01_0.jpg" in problem for problem in error.problems)


def test_zip_entries_escaping_the_folder_are_refused(coordinator, small_biq, media_root, tmp_path):
    table, images = small_biq
    archive = tmp_path / "images.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in images.iterdir():
            handle.write(path, path.name)
        handle.writestr("../escape.jpg", (images / "ss01_0.jpg").read_bytes())
    error = refused(coordinator, media_root, lambda: import_biq(coordinator, table, archive))
    assert "outside" in str(error)


def test_votes_off_the_declared_scale_are_refused(coordinator, small_long_ratings, media_root):
    error = refused(coordinator, media_root, lambda: dataset_import(
        name="ISR", slug="isr", by=coordinator, source_format="long_ratings", source=small_long_ratings,
        scale=(1, 3)))
    assert "outside the scale [1, 3]" in str(error) and "row 2 (5)" in str(error)


def test_images_stored_while_worker_processes_check_them_are_removed_when_one_is_bad(
        coordinator, small_biq, media_root, monkeypatch):
    if parallel.usable_cores() < 2:
        pytest.skip("one usable core: the import checks its images in its own process here")
    monkeypatch.setattr(parallel, "STORED_FROM", 2)  # the path of a 2,000-image import
    monkeypatch.setattr(parallel, "WINDOW", 3)
    table, images = small_biq
    (images / "ss02_1.jpg").write_bytes((images / "ss02_1.jpg").read_bytes()[:200])  # truncated
    error = refused(coordinator, media_root, lambda: import_biq(coordinator, table, images))
    assert [problem.split(":")[0] for problem in error.problems] == ["ss02_1.jpg"]
    write_image(images / "ss02_1.jpg", seed=99, image_format="JPEG")
    report = import_biq(coordinator, table, images)
    assert report.created and report.with_media == 8
    for stimulus in Stimulus.objects.filter(study=report.study):
        with stimulus.file.open("rb") as handle:
            assert handle.read() == (images / stimulus.name).read_bytes()


def test_a_database_failure_while_the_rows_are_written_removes_every_stored_image(
        coordinator, small_biq, media_root, monkeypatch):
    monkeypatch.setattr(parallel, "STORED_FROM", 2)  # the path of a 2,000-image import, where cores allow
    monkeypatch.setattr(parallel, "WINDOW", 3)
    insert = stimulus_rows.rows_insert

    def failing_insert(*, model, fields, rows):  # the database fails after the fifth stimulus row
        if model is Stimulus:
            consumed = list(itertools.islice(rows, 5))
            assert len(consumed) == 5 and stored_files(media_root) != []
            raise DatabaseError("disk I/O error")
        return insert(model=model, fields=fields, rows=rows)

    monkeypatch.setattr(stimulus_rows, "rows_insert", failing_insert)
    table, images = small_biq
    with pytest.raises(DatabaseError):
        import_biq(coordinator, table, images)
    assert not Study.objects.exists() and stored_files(media_root) == []
