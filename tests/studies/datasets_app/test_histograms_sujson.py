"""Importing vote histograms (the KonIQ-10k form) and suJSON into imported studies, and suJSON round trips."""
import csv
import io
import json

import numpy as np
import pytest
from django.core.management import call_command

from common.errors import DomainError
from moslab_science.datasets import DatasetItem, RawVote
from moslab_science.datasets.formats import write_sujson
from studies.datasets import services as dataset_services
from studies.datasets.imports import dataset_import
from studies.models import DatasetExport, ImportedMos, ImportedSubject, Rating, Stimulus, Study

pytestmark = pytest.mark.django_db
KONIQ_HEADER = ["image_name", "c1", "c2", "c3", "c4", "c5", "c_total", "MOS", "SD", "set"]
# Vote counts on levels 1..5 per image and its official set, as KonIQ-10k publishes them (as fractions).
HISTOGRAMS = {
    "100.jpg": ([0, 2, 5, 3, 0], "training"), "101.jpg": ([1, 1, 4, 4, 2], "training"),
    "102.jpg": ([0, 0, 1, 6, 5], "training"), "103.jpg": ([3, 5, 2, 0, 0], "validation"),
    "104.jpg": ([0, 1, 1, 1, 0], "test"), "105.jpg": ([2, 2, 2, 2, 2], "test"),
}


def votes_of(counts: list[int]) -> np.ndarray:
    return np.repeat(np.arange(1, 6, dtype=float), counts)


def write_koniq(path, histograms=HISTOGRAMS, header=KONIQ_HEADER):
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for name, (counts, part) in histograms.items():
            total = sum(counts)
            fractions = [repr(round(count / total, 12)) for count in counts]
            writer.writerow([name, *fractions, total, 50.0, round(float(np.std(votes_of(counts), ddof=1)), 9), part])
    return path


def test_histograms_become_a_ratings_less_study_with_the_histogram_mos(coordinator, tmp_path):
    table = write_koniq(tmp_path / "koniq.csv")
    report = dataset_import(name="KonIQ", slug="koniq", by=coordinator, source_format="histograms", source=table)
    study = report.study
    assert report.created and report.stimuli == 6 and report.with_media == 0 and report.votes == 0
    assert (study.scale_min, study.scale_max) == (1, 5) and not Rating.objects.filter(study=study).exists()
    version = dataset_services.dataset_version_create(study=study, by=coordinator)
    assert version.method == "imported"
    for item in version.items:
        votes = votes_of(HISTOGRAMS[item["name"]][0])
        assert item["count"] == len(votes)
        assert item["mos"] == pytest.approx(votes.mean(), abs=1e-9)
        assert item["std"] == pytest.approx(votes.std(ddof=1), abs=1e-9)
        assert item["file"] == "" and item["sha256"] == ""
    official = version.splits.get(name="official").assignment
    assert official == {"100.jpg": "train", "101.jpg": "train", "102.jpg": "train", "103.jpg": "val",
                        "104.jpg": "test", "105.jpg": "test"}
    export = dataset_services.dataset_export_start(version=version, export_format="table_csv", by=coordinator)
    assert dataset_services.dataset_export_run(export_id=export.pk).status == DatasetExport.Status.SUCCEEDED


def test_histograms_from_the_command_line_and_their_errors(coordinator, tmp_path):
    table = write_koniq(tmp_path / "koniq.csv")
    call_command("dataset", "import", "koniq", str(table), "--format", "histograms", "--by", coordinator.username)
    assert ImportedMos.objects.filter(stimulus__study__slug="koniq").count() == 6
    with pytest.raises(DomainError, match="levels span 1..5, not the declared 1..100"):
        dataset_import(name="K", slug="k2", by=coordinator, source_format="histograms", source=table,
                       scale=(1, 100))
    broken = write_koniq(tmp_path / "broken.csv", header=[*KONIQ_HEADER[:6], "votes", *KONIQ_HEADER[7:]])
    with pytest.raises(DomainError) as caught:
        dataset_import(name="K", slug="k3", by=coordinator, source_format="histograms", source=broken)
    assert "c_total" in str(caught.value.problems) and "votes" in str(caught.value.problems)
    assert Study.objects.count() == 1


@pytest.mark.shared_data
def test_the_real_koniq10k_histograms_hold_the_published_sd(coordinator, shared_data):
    """10,073 images, no votes and no images: MOS on 1..5 from the histogram, SD equal to the published SD."""
    from .conftest import require_shared

    path = require_shared(shared_data / "raw-ratings" / "koniq10k-distributions" / "koniq10k_distributions_sets.csv")
    study = dataset_import(name="KonIQ-10k", slug="koniq", by=coordinator, source_format="histograms",
                           source=path).study
    version = dataset_services.dataset_version_create(study=study, by=coordinator)
    with path.open(newline="") as handle:
        published = {row["image_name"]: row for row in csv.DictReader(handle)}
    assert len(version.items) == len(published) == 10073
    levels = np.arange(1, 6)
    worst_sd = worst_mos = 0.0
    for item in version.items:
        row = published[item["name"]]
        fractions = np.array([float(row[f"c{level}"]) for level in levels])
        assert item["count"] == int(row["c_total"])
        worst_mos = max(worst_mos, abs(item["mos"] - float(fractions @ levels)))
        worst_sd = max(worst_sd, abs(item["std"] - float(row["SD"])))
    assert worst_mos < 1e-9 and worst_sd < 1e-9
    parts = list(version.splits.get(name="official").assignment.values())
    assert set(parts) == {"train", "val", "test"}


def sujson_dataset() -> tuple[list[DatasetItem], list[RawVote]]:
    """6 stimuli of 3 contents, 4 subjects; S4 is rejected and one vote of S1 is unverified; MOS of the counted."""
    rng = np.random.default_rng(5)
    names = [f"{content}_{kind}.png" for content in ("c0", "c1", "c2") for kind in ("blur", "noise")]
    votes = [RawVote(stimulus=name, subject=f"S{subject}", score=float(rng.integers(1, 6)),
                     subject_rejected=subject == 4, verified=not (subject == 1 and index == 0))
             for index, name in enumerate(names) for subject in range(1, 5)]
    items = []
    for name in names:
        counted = np.array([v.score for v in votes if v.stimulus == name and v.counts])
        items.append(DatasetItem(
            name=name, file=f"images/{name}", sha256="", mos=float(counted.mean()),
            std=float(counted.std(ddof=1)), ci95=0.5, count=len(counted), source_content=name[:2],
            groups={"degradation": name[3:-4]}))
    return items, votes


def write_sujson_file(path, items, votes, *, without_mos=()):
    """A suJSON file; the pvs named in `without_mos` carry no MOS statistics, as in files of other tools."""
    text = io.StringIO()
    write_sujson(items, votes, text, dataset_name="synthetic", scale=(1, 5))
    document = json.loads(text.getvalue())
    for pvs in document["pvs"]:
        if pvs["characteristics"]["name"] in without_mos:
            for key in ("mos", "std", "ci95", "count"):
                del pvs["characteristics"][key]
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize("mos_in_file", [True, False])
def test_a_sujson_file_imports_and_versions(coordinator, tmp_path, mos_in_file):
    """The MOS statistics the pvs carry are taken as published; without them, from the counted votes."""
    items, votes = sujson_dataset()
    path = write_sujson_file(tmp_path / "study.json", items, votes,
                             without_mos=() if mos_in_file else [item.name for item in items])
    report = dataset_import(name="suJSON", slug="sj", by=coordinator, source_format="sujson", source=path)
    assert report.created and report.stimuli == 6 and report.votes == 24
    study = report.study
    assert (study.scale_min, study.scale_max) == (1, 5)
    assert sorted(ImportedSubject.objects.filter(study=study).values_list("label", flat=True)) == \
        ["S1", "S2", "S3", "S4"]
    assert Rating.objects.filter(study=study, verified=False).count() == 1
    version = dataset_services.dataset_version_create(study=study, by=coordinator)
    written = {item.name: item for item in items}
    for item in version.items:
        expected = written[item["name"]]
        assert item["mos"] == pytest.approx(expected.mos, abs=1e-12) and item["count"] == expected.count
        assert item["std"] == pytest.approx(expected.std, abs=1e-12)
        assert (item["ci95"] == 0.5) is mos_in_file, "the file's CI, or one computed from the votes"
        assert item["source_content"] == item["name"][:2]
        assert item["groups"] == {"degradation": item["name"][3:-4]}
    again = dataset_import(name="suJSON", slug="sj", by=coordinator, source_format="sujson", source=path)
    assert not again.created


def test_a_sujson_stimulus_without_a_counted_vote_is_refused_atomically(coordinator, tmp_path):
    items, votes = sujson_dataset()
    only_rejected = [v for v in votes if v.stimulus != "c0_blur.png" or v.subject == "S4"]
    path = write_sujson_file(tmp_path / "study.json", items, only_rejected, without_mos=["c0_blur.png"])
    with pytest.raises(DomainError) as caught:
        dataset_import(name="suJSON", slug="sj", by=coordinator, source_format="sujson", source=path)
    assert caught.value.problems == ["c0_blur.png: no counted vote"] and "nothing was written" in str(caught.value)
    assert not Study.objects.exists() and not Rating.objects.exists()


@pytest.mark.parametrize("method", ["mean", "correlation"])
def test_a_study_exported_as_sujson_and_reimported_with_its_images_hashes_the_same(rated_study, coordinator,
                                                                                   tmp_path, method):
    """The hash covers names, image hashes, MOS statistics, contents, groups, scale and splits: suJSON carries all
    but the splits (the MOS statistics per pvs, exactly), so a version without splits re-imports to the same hash."""
    from studies import services

    computation = services.mos_computation_start(study=rated_study, by=coordinator, method=method)
    assert services.mos_computation_run(computation_id=computation.pk).status == "succeeded"
    version = dataset_services.dataset_version_create(study=rated_study, by=coordinator)
    export = dataset_services.dataset_export_start(version=version, export_format="sujson", by=coordinator)
    export = dataset_services.dataset_export_run(export_id=export.pk)
    assert export.status == DatasetExport.Status.SUCCEEDED, export.error
    path = tmp_path / "export.json"
    with export.file.open("rb") as handle:
        path.write_bytes(handle.read())
    document = json.loads(path.read_text())
    assert {pvs["path"] for pvs in document["pvs"]} == {f"images/{item['name']}" for item in version.items}

    report = dataset_import(name="Copy", slug="copy", by=coordinator, source_format="sujson", source=path,
                            images=tmp_path / "rated")  # the flat folder the study was made from
    assert report.with_media == 10
    copy = dataset_services.dataset_version_create(study=report.study, by=coordinator)
    assert copy.content_hash == version.content_hash
    assert dict(Stimulus.objects.filter(study=report.study).values_list("name", "sha256")) == \
        dict(Stimulus.objects.filter(study=rated_study).values_list("name", "sha256"))
