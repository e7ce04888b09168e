"""The field's own files import (VQEG suJSON, pyiqa meta-info, Q-Align, DeQA-Score), with the MOS the file gives,
and exports that a tool cannot misuse: one file per part, no image paths that do not exist, errors kept short."""
import io
import json
import statistics
import zipfile
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from common.errors import DomainError
from moslab_science.datasets.formats.levels import LEVELS
from studies.datasets import services as dataset_services
from studies.datasets.imports import dataset_import
from studies.datasets.inputs import import_options
from studies.models import DatasetExport, ImportedMos, Stimulus
from tests.conftest import write_image

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sujson"
TWO_QUESTIONS = FIXTURES / "two-separate-and-pair-comparison-suJSON.json"
Format = DatasetExport.Format


def imported(coordinator, source, source_format, *, scale=None, images=None, slug="field", **given):
    return dataset_import(name=slug, slug=slug, by=coordinator, source_format=source_format, source=source,
                          images=images, scale=scale, options=import_options(source_format=source_format, **given))


def mos_by_name(study) -> dict[str, float]:
    return dict(ImportedMos.objects.filter(stimulus__study=study).values_list("stimulus__name", "mos"))


def vqeg_hdtv_style(path: Path, *, sources=3, hrcs=4, subjects=6, seed=5) -> dict[str, list[int]]:
    """A file shaped like the VQEG translator's example/hdtv5.json: one score per trial with scalar pvs_id and
    score_id, pvs named by file_name, src and hrc known by a numeric name, subjects by an id alone."""
    rng = np.random.default_rng(seed)
    pvs = [{"id": s * hrcs + h + 1, "src_id": s + 1, "hrc_id": h + 1,
            "file_name": f"hdtv5_src{s + 1:02d}_hrc{h:02d}.avi"} for s in range(sources) for h in range(hrcs)]
    trials, scores, given = [], [], {}
    for subject in range(1, subjects + 1):
        for entry in pvs:
            score = int(rng.integers(1, 6))
            scores.append({"id": len(scores) + 1, "question_id": 1, "pvs_id": entry["id"], "score": score})
            trials.append({"id": len(trials) + 1, "subject_id": subject, "task_id": 1, "pvs_id": entry["id"],
                           "score_id": len(scores)})
            given.setdefault(entry["file_name"], []).append(score)
    document = {
        "dataset_name": "vqeghd1", "sujson_version": "0.0.1",
        "characteristics": {"rating_order_known": False, "per_subject_data": True},
        "tasks": [{"id": 1, "task": "Please rate the overall quality of a single stimulus"}],
        "scales": [{"id": 1, "name": "ACR5", "type": "ordinal", "range": {"min": 1, "max": 5},
                    "labels": dict(zip(LEVELS, range(1, 6), strict=True))}],
        "questions": [{"id": 1, "question": "Please rate on overall quality", "scale_id": 1}],
        "src": [{"id": s + 1, "name": s + 1} for s in range(sources)],
        "hrc": [{"id": h + 1, "name": h} for h in range(hrcs)],
        "pvs": pvs, "subjects": [{"id": subject} for subject in range(1, subjects + 1)],
        "trials": trials, "scores": scores,
    }
    path.write_text(json.dumps(document, indent=4))
    return given


def test_a_vqeg_hdtv_style_sujson_with_scalar_ids_imports_named_by_its_files(coordinator, tmp_path):
    given = vqeg_hdtv_style(tmp_path / "hdtv5.json")
    report = imported(coordinator, tmp_path / "hdtv5.json", "sujson")
    assert report.stimuli == 12 and report.votes == 72
    assert mos_by_name(report.study) == pytest.approx({name: statistics.mean(v) for name, v in given.items()})
    first = Stimulus.objects.get(study=report.study, name="hdtv5_src01_hrc03.avi")
    assert first.groups == {"hrc": "3"} and first.source_content == "1"


def test_a_two_question_sujson_asks_for_the_question_and_refuses_the_pair_comparison(coordinator):
    with pytest.raises(DomainError) as chosen:
        imported(coordinator, TWO_QUESTIONS, "sujson")
    message = str(chosen.value)
    assert "pass question_id" in message and "pair comparison" in message and "single stimulus" in message
    with pytest.raises(DomainError, match="is a pair comparison"):
        imported(coordinator, TWO_QUESTIONS, "sujson", question_id="2")
    report = imported(coordinator, TWO_QUESTIONS, "sujson", question_id="1")
    document = json.loads(TWO_QUESTIONS.read_text())
    files_mos = next(s["score"] for s in document["scores"] if s["question_id"] == 3)  # the file's MOS of pvs 1
    assert mos_by_name(report.study)["BigBuckBunny_30_384_550.yuv"] == files_mos == 3.5
    assert mos_by_name(report.study)["BigBuckBunny_20_288_375.yuv"] == 3.0


def test_question_ids_only_go_to_sujson_and_unread_columns_are_refused_not_dropped():
    with pytest.raises(DomainError, match="does not read --question-id"):
        import_options(source_format="mos_table", question_id="1")
    with pytest.raises(DomainError, match="does not read --mos-column"):
        import_options(source_format="histograms", mos_column="MOS")
    assert import_options(source_format="histograms", name_column="image_name", split_column="set") == \
        {"name_column": "image_name", "split_column": "set"}


def pyiqa_meta_info(folder: Path, rows: int = 12) -> Path:
    """A pyiqa meta-info CSV (img_name,mos,std,split) whose split cells are 0/1/2, and its images."""
    lines = ["img_name,mos,std,split"]
    for index in range(rows):
        name = f"{1000 + index}.jpg"
        write_image(folder / "512x384" / name, seed=index, image_format="JPEG")
        lines.append(f"{name},{1.5 + index * 0.25},{0.5 + index / 100},{index % 3}")
    (folder / "meta_info_KonIQ10kDataset.csv").write_text("\n".join(lines) + "\n")
    return folder / "meta_info_KonIQ10kDataset.csv"


def test_a_pyiqa_meta_info_file_with_numbered_parts_maps_them_and_exports_per_part(coordinator, tmp_path):
    table = pyiqa_meta_info(tmp_path)
    columns = {"name_column": "img_name", "mos_column": "mos", "std_column": "std", "split_column": "split"}
    unmapped = imported(coordinator, table, "mos_table", scale=(1, 5), images=tmp_path / "512x384",
                        slug="unmapped", **columns)
    assert any("not train/val/test" in warning and "--split-map" in warning for warning in unmapped.warnings)
    report = imported(coordinator, table, "mos_table", scale=(1, 5), images=tmp_path / "512x384",
                      split_map="0=train,1=val,2=test", **columns)
    assert report.warnings == () and mos_by_name(report.study)["1004.jpg"] == 2.5
    version = dataset_services.dataset_version_create(study=report.study, by=coordinator)
    split = version.splits.get()
    assert sorted(set(split.assignment.values())) == ["test", "train", "val"]
    assert split.assignment["1004.jpg"] == "val"
    started = dataset_services.dataset_export_start(version=version, export_format=Format.QALIGN, by=coordinator)
    done = dataset_services.dataset_export_run(export_id=started.pk)
    assert done.status == DatasetExport.Status.SUCCEEDED, done.error
    with done.file.open("rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    assert sorted(archive.namelist()) == ["test.json", "train.json", "val.json"]
    test_images = {entry["image"] for entry in json.loads(archive.read("test.json"))}
    assert test_images == {f"images/{name}" for name, part in split.assignment.items() if part == "test"}
    with pytest.raises(DomainError, match="does not name the split value"):
        imported(coordinator, table, "mos_table", scale=(1, 5), slug="partly", split_map="0=train,1=val", **columns)


def qalign_entry(image: str, score: float, level: str) -> dict:
    """One entry as Q-Align's playground/data/ft/koniq/train_split_1.json writes it."""
    return {"id": f"{image}->{score}", "image": image, "gt_score": score, "conversations": [
        {"from": "human", "value": "How would you rate the quality of this image?\n<|image|>"},
        {"from": "gpt", "value": f"The quality of the image is {level}."}]}


def test_qalign_and_deqa_json_import_with_the_files_scores(coordinator, tmp_path):
    entries = [qalign_entry(f"koniq/{n}.jpg", s, level) for n, s, level in
               [(1, 4.25, "excellent"), (2, 2.5, "fair"), (3, 1.125, "bad")]]
    (tmp_path / "qalign.json").write_text(json.dumps(entries))
    report = imported(coordinator, tmp_path / "qalign.json", "qalign", scale=(1, 5), slug="qalign")
    assert mos_by_name(report.study) == {"1.jpg": 4.25, "2.jpg": 2.5, "3.jpg": 1.125}
    deqa = [{**entry, "gt_score_norm": entry["gt_score"], "std": 0.5 + index, "std_norm": 0.5 + index,
             "level_probs": [0.1, 0.2, 0.4, 0.2, 0.1]} for index, entry in enumerate(entries)]
    (tmp_path / "deqa.json").write_text(json.dumps(deqa))
    report = imported(coordinator, tmp_path / "deqa.json", "deqa", scale=(1, 5), slug="deqa")
    rows = ImportedMos.objects.filter(stimulus__study=report.study).order_by("stimulus__name")
    assert [(row.stimulus.name, row.mos, row.std) for row in rows] == \
        [("1.jpg", 4.25, 0.5), ("2.jpg", 2.5, 1.5), ("3.jpg", 1.125, 2.5)]
    with pytest.raises(DomainError, match="outside the declared scale"):
        imported(coordinator, tmp_path / "qalign.json", "qalign", scale=(0, 1), slug="wrong-scale")


def test_a_table_without_a_header_row_is_said_in_words(coordinator, tmp_path):
    (tmp_path / "table.csv").write_text("a.jpg,3.5\nb.jpg,4.0\n")
    with pytest.raises(DomainError) as refused:
        imported(coordinator, tmp_path / "table.csv", "mos_table", scale=(1, 5))
    assert "looks like data, not a header" in str(refused.value)


def huge_inputs(folder: Path) -> dict[str, tuple[Path, str]]:
    """Files whose errors once echoed them whole: a Q-Align JSON given as a table, one giant header cell,
    thousands of bad rows, thousands of missing images."""
    entries = [qalign_entry(f"koniq/{n}.jpg", 3.0, "fair") for n in range(3000)]
    (folder / "qalign.json").write_text(json.dumps(entries))
    (folder / "cell.csv").write_text("x" * 300_000 + ",mos\na.jpg,3\n")
    (folder / "rows.csv").write_text("image,mos\n" + "".join(f"{'y' * 200}{n}.jpg,nope\n" for n in range(5000)))
    (folder / "many.csv").write_text("image,mos\n" + "".join(f"{'z' * 150}{n}.jpg,3\n" for n in range(5000)))
    (folder / "images").mkdir()
    write_image(folder / "images" / "other.png")
    return {"json as table": (folder / "qalign.json", "mos_table"), "giant cell": (folder / "cell.csv", "mos_table"),
            "bad rows": (folder / "rows.csv", "mos_table"), "missing images": (folder / "many.csv", "mos_table"),
            "table as suJSON": (folder / "rows.csv", "sujson"), "table as Q-Align": (folder / "rows.csv", "qalign")}


def test_every_import_error_stays_under_2_kb_whatever_the_file(coordinator, tmp_path, client, django_user_model):
    inputs = huge_inputs(tmp_path)
    for what, (source, source_format) in inputs.items():
        images = tmp_path / "images" if what == "missing images" else None
        with pytest.raises(DomainError) as refused:
            imported(coordinator, source, source_format, scale=(1, 5), images=images, slug="huge")
        assert len(str(refused.value).encode()) < 2048, what
    with pytest.raises(DomainError, match="is JSON, not a CSV table"):
        imported(coordinator, inputs["json as table"][0], "mos_table", scale=(1, 5))
    with pytest.raises(CommandError) as command:
        call_command("dataset", "import", "huge", str(inputs["json as table"][0]), "--format", "mos_table",
                     "--scale", "1", "5", "--by", coordinator.username)
    assert len(str(command.value).encode()) < 2048
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)
    with inputs["giant cell"][0].open("rb") as table:
        response = client.post("/api/datasets/imports/", {"name": "Huge", "slug": "huge", "source_format": "mos_table",
                                                          "table": table, "scale_min": 1, "scale_max": 5})
    assert response.status_code == 400 and len(response.content) < 2048


def test_formats_that_list_media_refuse_a_ratings_only_version(coordinator, tmp_path):
    (tmp_path / "table.csv").write_text("image,mos\na.jpg,3.5\nb.jpg,4.0\n")
    study = imported(coordinator, tmp_path / "table.csv", "mos_table", scale=(1, 5)).study
    version = dataset_services.dataset_version_create(study=study, by=coordinator)
    for export_format in (Format.PYIQA, Format.DEQA, Format.DOVER, Format.T2VQA):
        with pytest.raises(DomainError, match="have no media"):
            dataset_services.dataset_export_start(version=version, export_format=export_format, by=coordinator)
    started = dataset_services.dataset_export_start(version=version, export_format=Format.SUJSON, by=coordinator)
    assert dataset_services.dataset_export_run(export_id=started.pk).status == DatasetExport.Status.SUCCEEDED
