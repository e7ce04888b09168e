"""Bad tables and bad images get a message naming the row or file and what to do."""
import numpy as np
import pytest
from PIL import Image

from moslab_science.iqa import IqaError, TrainingHooks, resolve_config, train_run
from moslab_science.iqa.config import COMMON_DEFAULTS
from moslab_science.iqa.images import MID_GREY, read_rgb, scan_images
from moslab_science.iqa.table import read_training_table
from moslab_science.metrics import MetricsInputError
from tests.conftest import write_image
from tests.modeling.iqa_fixtures import make_study_data, write_table

DATA = COMMON_DEFAULTS["data"]


def rows(*specs):
    return [{"image": name, "mos": mos, "split": split} for name, mos, split in specs]


def test_table_without_validation_part_is_refused(tmp_path):
    table = write_table(tmp_path / "t.csv", rows(("a.png", 1, "train"), ("b.png", 2, "test")))
    with pytest.raises(IqaError) as raised:
        read_training_table(table, DATA)
    assert raised.value.problems == [
        "the split column has no 'val' rows; a run needs a val part to choose its checkpoint on (never the test part)"
    ]


def test_unknown_split_values_are_listed_by_line(tmp_path):
    table = write_table(tmp_path / "t.csv", rows(("a.png", 1, "train"), ("b.png", 2, "validation"),
                                                 ("c.png", 2, "val")))
    with pytest.raises(IqaError) as raised:
        read_training_table(table, DATA)
    assert raised.value.problems == ["line 3: split is 'validation'; use one of train, val, test"]


def test_nan_mos_and_duplicates_are_all_reported(tmp_path):
    table = write_table(tmp_path / "t.csv", rows(("a.png", "nan", "train"), ("b.png", 2, "val"), ("b.png", 3, "val")))
    with pytest.raises(MetricsInputError) as raised:
        read_training_table(table, DATA)
    assert len(raised.value.problems) == 2
    assert "'nan', not a finite number" in raised.value.problems[0]
    assert "repeats line 3" in raised.value.problems[1]


def test_missing_split_column_names_the_columns_found(tmp_path):
    table = write_table(tmp_path / "t.csv", rows(("a.png", 1, "train")), columns=("image", "mos"))
    with pytest.raises(MetricsInputError, match="missing column.s. split; the header is image,mos"):
        read_training_table(table, DATA)


def test_group_column_is_read_when_configured(tmp_path):
    table = write_table(tmp_path / "t.csv", [{"image": "a.png", "mos": 1, "split": "train", "kind": "blur"},
                                             {"image": "b.png", "mos": 2, "split": "val", "kind": ""}],
                        columns=("image", "mos", "split", "kind"))
    items = read_training_table(table, {**DATA, "group_column": "kind"})
    assert [(item.name, item.part, item.group) for item in items] == [("a.png", "train", "blur"), ("b.png", "val", "")]


def test_grayscale_cmyk_16_bit_and_palette_become_rgb(tmp_path):
    grey = np.arange(64, dtype=np.uint8).reshape(8, 8) * 4
    Image.fromarray(grey).save(tmp_path / "grey.png")
    Image.fromarray(grey.astype(np.uint16) * 257).save(tmp_path / "deep.png")
    Image.new("CMYK", (8, 8), (0, 0, 0, 0)).save(tmp_path / "cmyk.jpg")
    Image.fromarray(grey).convert("P").save(tmp_path / "palette.png")

    pixels, note = read_rgb(tmp_path / "grey.png")
    assert note == "grayscale to RGB" and (pixels == grey[:, :, None]).all()
    pixels, note = read_rgb(tmp_path / "deep.png")
    assert note == "16-bit to 8-bit" and (pixels == grey[:, :, None]).all()
    pixels, note = read_rgb(tmp_path / "cmyk.jpg")
    assert note == "CMYK to RGB" and pixels.shape == (8, 8, 3) and pixels.min() > 240  # no ink is white
    assert read_rgb(tmp_path / "palette.png")[1] == "palette to RGB"


def test_transparency_is_composited_over_the_rating_page_grey(tmp_path):
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)
    rgba[:2, :, :3] = 255
    rgba[:2, :, 3] = 255  # top half opaque white, bottom half fully transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "alpha.png")
    pixels, note = read_rgb(tmp_path / "alpha.png")
    assert note == "alpha composited over mid-grey"
    assert (pixels[:2] == 255).all() and (pixels[2:] == MID_GREY).all()


def test_scan_reports_every_bad_image_at_once(tmp_path):
    write_image(tmp_path / "good.png", size=(8, 8))
    write_image(tmp_path / "big.png", size=(100, 100))
    whole = write_image(tmp_path / "whole.jpg", size=(64, 64), image_format="JPEG").read_bytes()
    (tmp_path / "truncated.jpg").write_bytes(whole[: len(whole) * 4 // 5])
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(IqaError) as raised:
        scan_images(tmp_path, ["good.png", "big.png", "truncated.jpg", "notes.png", "gone.png"], max_pixels=5000)
    problems = raised.value.problems
    assert str(raised.value).startswith("4 of 5 images cannot be used")
    assert problems[0].startswith("big.png: 100x100 is 10,000 pixels, more than the limit of 5,000")
    assert problems[0].endswith("(raise data.max_pixels or downscale it)")
    assert problems[1].startswith("truncated.jpg: the image data is damaged or truncated")
    assert problems[2].startswith("notes.png: not an image")
    assert problems[3] == f"gone.png: no such file in {tmp_path}"


def test_training_stops_before_the_first_step_on_a_missing_image(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40))
    (images / "img03.png").unlink()
    with pytest.raises(IqaError, match="1 of 12 images cannot be used"):
        train_run(config=resolve_config("effnet-lite", {"preset": "tiny"}), table=table, images=images,
                  out=tmp_path / "run", log=lambda message: None)
    assert not (tmp_path / "run").exists()


def test_images_too_small_for_their_crop_are_refused_before_the_first_step_with_every_problem_listed(tmp_path):
    table, images = make_study_data(tmp_path, size=(72, 68))
    write_image(images / "img02.png", size=(63, 70), seed=2)  # a training image: below input.train_crop (64)
    write_image(images / "img10.png", size=(70, 40), seed=10)  # a test image: below input.eval_crop (64)
    (images / "img04.png").write_bytes(b"not an image")
    (images / "img07.png").unlink()
    steps = []
    config = resolve_config("hyperiqa", {"preset": "tiny"})
    with pytest.raises(IqaError) as raised:
        train_run(config=config, table=table, images=images, out=tmp_path / "run", log=lambda message: None,
                  hooks=TrainingHooks(on_step=lambda *step: steps.append(step)))
    assert str(raised.value).startswith("4 of 12 images cannot be used")
    assert raised.value.problems == [
        "img02.png: 63x70 is smaller than the 64-pixel crop (input.train_crop): leave the image out, use a smaller "
        "input.train_crop or set input.resize",
        "img04.png: not an image moslab can read (accepted: BMP, JPEG, PNG, TIFF, WEBP)",
        f"img07.png: no such file in {images}",
        "img10.png: 70x40 is smaller than the 64-pixel crop (input.eval_crop): leave the image out, use a smaller "
        "input.eval_crop or set input.resize",
    ]
    assert steps == [] and not (tmp_path / "run").exists()


def test_unknown_configuration_key_is_refused():
    with pytest.raises(IqaError, match="unknown configuration key 'train.epoch' .known: .*epochs"):
        resolve_config("effnet-lite", {"train": {"epoch": 3}})
    known = r"\(known: clip, clip-agi, clip-iqa, effnet-lite, hyperiqa, ma-agiqa, maniqa, qalign, siglip, siglip-agi\)"
    with pytest.raises(IqaError, match=f"unknown architecture 'dbcnn' {known}"):
        resolve_config("dbcnn")


def test_bad_settings_are_all_reported_before_anything_runs(tmp_path):
    config = resolve_config("effnet-lite", {"preset": "tiny", "input": {"eval_sampling": "five-point"},
                                            "train": {"loss": "huber", "batch_size": 0}})
    with pytest.raises(IqaError) as raised:
        train_run(config=config, table=tmp_path / "absent.csv", images=tmp_path, out=tmp_path / "run")
    assert [problem.split(" ")[0] for problem in raised.value.problems] == [
        "train.loss", "input.eval_sampling", "train.batch_size"
    ]
