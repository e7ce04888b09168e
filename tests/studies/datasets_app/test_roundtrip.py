"""Export a version's bundle, import it into a new study, take a version there: the same content hash."""
import hashlib
import zipfile

import pytest

from studies.datasets import services as dataset_services
from studies.datasets.imports import dataset_import
from studies.datasets.inputs import split_spec_from_options
from studies.models import DatasetExport, Rating, Stimulus

pytestmark = pytest.mark.django_db


def test_bundle_round_trip_gives_an_identical_version_hash(rated_study, coordinator, tmp_path):
    base = dataset_services.dataset_version_create(study=rated_study, by=coordinator)
    spec = split_spec_from_options(kind="ratio", seed=9, ratios="train=3,test=2", repeats=2)
    version = dataset_services.dataset_split_create(version=base, spec=spec, by=coordinator)
    assert version.splits.count() == 2
    started = dataset_services.dataset_export_start(version=version, export_format="bundle", by=coordinator)
    export = dataset_services.dataset_export_run(export_id=started.pk)
    assert export.status == DatasetExport.Status.SUCCEEDED, export.error
    bundle = tmp_path / "bundle.zip"
    with export.file.open("rb") as handle:
        bundle.write_bytes(handle.read())

    report = dataset_import(name="Copy", slug="copy", by=coordinator, source_format="bundle", source=bundle)
    assert report.created and report.with_media == 10
    copy = dataset_services.dataset_version_create(study=report.study, by=coordinator)
    assert copy.content_hash == version.content_hash
    assert {split.name: split.assignment for split in copy.splits.all()} == \
        {split.name: split.assignment for split in version.splits.all()}
    originals = {s.name: s.sha256 for s in Stimulus.objects.filter(study=rated_study)}
    with zipfile.ZipFile(bundle) as archive:
        for stimulus in Stimulus.objects.filter(study=report.study):
            with stimulus.file.open("rb") as handle:
                data = handle.read()
            assert hashlib.sha256(data).hexdigest() == originals[stimulus.name] == stimulus.sha256
            assert data == archive.read(f"images/{stimulus.name}")
    current = Rating.objects.filter(study=rated_study).current().count()
    assert Rating.objects.filter(study=report.study).count() == current, "the counted votes come along"
    again = dataset_import(name="Copy", slug="copy", by=coordinator, source_format="bundle", source=bundle)
    assert not again.created, "importing the same bundle again is a no-op"


def test_a_rater_who_voted_twice_on_a_stimulus_has_one_current_vote_and_the_bundle_reimports(
        rated_study, coordinator, tmp_path):
    """MOS counts Rating.objects.current(): one latest verified vote per rater and stimulus, so the bundle's
    current rows never hold two votes of one subject on one stimulus (which the re-import would refuse)."""
    import csv
    import io
    import uuid

    from studies import services

    first = Rating.objects.filter(study=rated_study).order_by("pk").first()
    services.rating_record(study=rated_study, stimulus=first.stimulus, rater=first.rater, client_id=uuid.uuid4(),
                           score=5 if first.score != 5 else 1, details={"verified": True})
    computation = services.mos_computation_start(study=rated_study, by=coordinator, method="mean")
    assert services.mos_computation_run(computation_id=computation.pk).status == "succeeded"
    version = dataset_services.dataset_version_create(study=rated_study, by=coordinator)
    started = dataset_services.dataset_export_start(version=version, export_format="bundle", by=coordinator)
    export = dataset_services.dataset_export_run(export_id=started.pk)
    bundle = tmp_path / "bundle.zip"
    with export.file.open("rb") as handle:
        bundle.write_bytes(handle.read())
    with zipfile.ZipFile(bundle) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("ratings.csv").decode())))
    subject = next(row["subject"] for row in rows if row["rating_id"] == str(first.pk))
    twice = [row for row in rows if (row["stimulus"], row["subject"]) == (first.stimulus.name, subject)]
    assert len(twice) == 2 and [row["current"] for row in twice] == ["False", "True"], "history kept, latest counts"
    current = [(row["stimulus"], row["subject"]) for row in rows if row["current"] == "True"]
    assert len(current) == len(set(current)) == Rating.objects.filter(study=rated_study).current().count()
    report = dataset_import(name="Copy", slug="copy", by=coordinator, source_format="bundle", source=bundle)
    copy = dataset_services.dataset_version_create(study=report.study, by=coordinator)
    assert copy.content_hash == version.content_hash and report.votes == len(current)
