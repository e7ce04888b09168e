"""PSNR and SSIM against a reference, and the baseline run over a table."""

import csv

import numpy as np
import pytest
from PIL import Image
from skimage import data, filters

from moslab_science.classical.batch import TableSpec, run_baseline
from moslab_science.classical.images import BaselineInputError
from moslab_science.classical.reference import psnr, ssim


def test_psnr_of_a_uniform_offset_by_hand():
    reference = np.full((32, 32), 100.0)
    assert psnr(reference + 10, reference) == pytest.approx(10 * np.log10(255**2 / 100))


def test_ssim_is_one_for_identical_images_and_falls_with_blur():
    reference = data.camera().astype(float)
    values = [ssim(filters.gaussian(reference, sigma=s, preserve_range=True), reference) for s in (0.5, 1.5, 3)]
    assert ssim(reference, reference) == pytest.approx(1.0)
    assert values == sorted(values, reverse=True) and values[0] < 1


def test_identical_and_mismatched_pairs_are_refused():
    reference = np.full((32, 32), 100.0)
    with pytest.raises(BaselineInputError, match="PSNR is infinite"):
        psnr(reference, reference)
    with pytest.raises(BaselineInputError, match="32x16 but its reference is 32x32"):
        ssim(reference[:16], reference)


@pytest.fixture
def degraded_study(tmp_path):
    """Two references and three blur levels of each, with a table naming each image's reference."""
    folder = tmp_path / "images"
    folder.mkdir()
    rows = []
    for source, pixels in (("camera", data.camera()), ("coins", data.coins())):
        Image.fromarray(pixels).save(folder / f"{source}.png")
        rows.append([f"{source}.png", "5", ""])
        for sigma in (1, 2, 4):
            blurred = filters.gaussian(pixels.astype(float), sigma=sigma, preserve_range=True)
            Image.fromarray(np.clip(np.rint(blurred), 0, 255).astype(np.uint8)).save(folder / f"{source}-b{sigma}.png")
            rows.append([f"{source}-b{sigma}.png", str(5 - sigma), f"{source}.png"])
    with open(tmp_path / "table.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", "mos", "reference"])
        writer.writerows(rows)
    return tmp_path / "table.csv", folder


def read_table(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("method", ["psnr", "ssim"])
def test_full_reference_run_scores_each_degraded_image(degraded_study, method):
    table, folder = degraded_study
    run = run_baseline(method, read_table(table), folder)
    assert sorted(run.scores) == sorted(f"{s}-b{sigma}.png" for s in ("camera", "coins") for sigma in (1, 2, 4))
    for source in ("camera", "coins"):
        assert run.scores[f"{source}-b1.png"] > run.scores[f"{source}-b2.png"] > run.scores[f"{source}-b4.png"]
    assert "2 rows without one" in run.notes[0]


def test_niqe_run_writes_higher_is_better(degraded_study):
    table, folder = degraded_study
    run = run_baseline("niqe", read_table(table), folder)
    assert run.scores["coins.png"] > run.scores["coins-b4.png"]
    assert "score written is -NIQE" in run.notes[0]


def test_niqe_leaves_out_an_image_it_has_no_score_for_only_when_asked(degraded_study):
    table, folder = degraded_study
    Image.fromarray(np.full((256, 256), 128, dtype=np.uint8)).save(folder / "flat.png")
    rows = read_table(table) + [{"image": "flat.png", "mos": "1", "reference": ""}]
    with pytest.raises(BaselineInputError, match="flat.png: NIQE needs at least 2 non-flat"):
        run_baseline("niqe", rows, folder)
    run = run_baseline("niqe", rows, folder, skip_undefined=True)
    assert list(run.undefined) == ["flat.png"] and "flat.png" not in run.scores
    assert len(run.scores) == len(rows) - 1 and "1 image(s) left out" in run.notes[1]


def test_brisque_needs_a_training_part_and_every_missing_image_is_named(degraded_study):
    table, folder = degraded_study
    rows = read_table(table)
    with pytest.raises(BaselineInputError, match="give --split-column"):
        run_baseline("brisque", rows, folder)
    (folder / "camera-b1.png").unlink()
    (folder / "coins-b2.png").unlink()
    with pytest.raises(BaselineInputError) as caught:
        run_baseline("psnr", rows, folder, spec=TableSpec())
    assert "camera-b1.png: image file not found" in str(caught.value)
    assert "coins-b2.png: image file not found" in str(caught.value)
