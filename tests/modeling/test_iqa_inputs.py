"""What a researcher's data brings: phone MPO photos, names whose case differs, progress lines, one part to score."""
import csv

import numpy as np
import pytest
import torch
from django.core.management import call_command
from PIL import Image

from moslab_science.iqa import (
    IqaError,
    Terminal,
    TrainingHooks,
    apply_cpu_defaults,
    predict_table_part,
    resolve_config,
    train_run,
)
from moslab_science.iqa.images import read_rgb
from tests.modeling.iqa_fixtures import make_study_data  # (also: one torch thread)

TINY = {"preset": "tiny", "train": {"epochs": 1, "batch_size": 2}}


def quiet(message: str) -> None:
    """Training logs go nowhere in tests."""


def save_mpo(path, seed: int) -> np.ndarray:
    """A multi-picture JPEG as phone cameras write it: a main picture and a second one; returns the main one."""
    rng = np.random.default_rng(seed)
    main = Image.fromarray(rng.integers(0, 256, size=(40, 44, 3), dtype=np.uint8))
    other = Image.fromarray(rng.integers(0, 256, size=(20, 22, 3), dtype=np.uint8))
    main.save(path, format="MPO", save_all=True, append_images=[other])
    with Image.open(path) as image:
        assert (image.format, image.n_frames) == ("MPO", 2)
        return np.asarray(image.convert("RGB"))


def test_a_run_trains_on_mpo_photos_read_as_their_first_picture(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40))
    rows = table.read_text().replace("img01.png", "img01.jpg").replace("img10.png", "img10.jpg")
    table.write_text(rows)
    main = save_mpo(images / "img01.jpg", seed=1)  # a training photo
    save_mpo(images / "img10.jpg", seed=10)  # a test photo
    pixels, conversion = read_rgb(images / "img01.jpg")
    assert conversion == "first picture of a multi-picture JPEG (MPO)" and np.array_equal(pixels, main)
    logs = []
    summary = train_run(config=resolve_config("effnet-lite", TINY), table=table, images=images,
                        out=tmp_path / "run", log=logs.append)
    assert "2 image(s): first picture of a multi-picture JPEG (MPO)" in logs
    assert summary["conversions"] == {"first picture of a multi-picture JPEG (MPO)": 2}
    assert summary["test"]["n"] == 3


def test_names_differing_only_in_case_are_refused_with_a_hint_or_matched_with_a_warning(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40))
    (images / "img03.png").rename(images / "img03.PNG")
    (images / "img10.png").rename(images / "IMG10.png")
    with pytest.raises(IqaError) as raised:
        train_run(config=resolve_config("effnet-lite", TINY), table=table, images=images, out=tmp_path / "strict",
                  log=quiet)
    assert raised.value.problems == [
        f"img03.png: no such file in {images} (img03.PNG differs only in case: set data.ignore_case = true to use it)",
        f"img10.png: no such file in {images} (IMG10.png differs only in case: set data.ignore_case = true to use it)",
    ]
    logs = []
    config = resolve_config("effnet-lite", {**TINY, "data": {"ignore_case": True}})
    train_run(config=config, table=table, images=images, out=tmp_path / "run", log=logs.append)
    assert ("warning: 2 image(s) found only by ignoring case (data.ignore_case), e.g. img03.png -> img03.PNG, "
            "img10.png -> IMG10.png") in logs
    with (tmp_path / "run" / "predictions_test.csv").open() as stream:
        assert [row["image"] for row in csv.DictReader(stream)] == ["img09.png", "img10.png", "img11.png"]


def test_progress_is_shown_for_the_scan_every_step_validation_and_the_test_part(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40))
    written = []
    terminal = Terminal(written.append, interactive=False, every=0.0)
    train_run(config=resolve_config("effnet-lite", TINY), table=table, images=images, out=tmp_path / "run",
              log=terminal.log, hooks=TrainingHooks(on_progress=terminal.progress))
    lines = "".join(written).splitlines()
    phases = [line.split(" ")[0] for line in lines if " | " in line]
    assert phases == ["scan"] * 12 + ["train"] * 3 + ["validate"] * 3 + ["test"] * 3
    steps = [line for line in lines if line.startswith("train")]
    assert steps[0].startswith("train epoch 1/1 step 1/3 (33%) | ") and " img/s | loss " in steps[0]
    assert " | ETA " in steps[0] and steps[-1].startswith("train epoch 1/1 step 3/3 (100%)")
    assert lines[lines.index(steps[-1]) + 1].startswith("validate epoch 1/1 1/3 images (33%)")

    bar = []
    interactive = Terminal(bar.append, interactive=True)
    train_run(config=resolve_config("effnet-lite", TINY), table=table, images=images, out=tmp_path / "again",
              log=interactive.log, hooks=TrainingHooks(on_progress=interactive.progress))
    assert bar[0].startswith("\r\x1b[Kscan 1/12 images") and any(text.startswith("\r\x1b[Ktrain") for text in bar)
    assert bar[-1].endswith("\n") and "\r" not in "".join(text for text in bar if text.startswith("epoch 1:"))


def test_one_part_of_a_table_is_scored_by_the_command_and_the_cpu_settings_are_said(tmp_path, capsys):
    table, images = make_study_data(tmp_path, size=(40, 40))
    config_file = tmp_path / "tiny.toml"
    config_file.write_text('preset = "tiny"\n[train]\nepochs = 1\nbatch_size = 2\n')
    threads = torch.get_num_threads()
    try:
        call_command("iqa", "train", "--arch", "effnet-lite", "--table", str(table), "--images", str(images),
                     "--out", str(tmp_path / "run"), "--config", str(config_file), "--threads", "1")
        printed = capsys.readouterr().out
        assert printed.startswith("CPU settings: torch threads 1 (--threads; was ")
        assert "glibc malloc mmap threshold 32 MiB" in printed.splitlines()[0]
        call_command("iqa", "predict", "--checkpoint", str(tmp_path / "run"), "--images", str(images),
                     "--table", str(table), "--part", "test", "--out", str(tmp_path / "test.csv"))
    finally:
        torch.set_num_threads(threads)
    assert "scored 3 image(s) into" in capsys.readouterr().out
    with (tmp_path / "test.csv").open() as stream:
        scored = list(csv.DictReader(stream))
    with (tmp_path / "run" / "predictions_test.csv").open() as stream:
        from_training = list(csv.DictReader(stream))
    assert scored == from_training  # the best model, the same views: the test part's scores of the run itself
    with pytest.raises(IqaError, match="table.csv has no row whose split is 'holdout'"):
        predict_table_part(run_dir=tmp_path / "run", images=images, table=table, part="holdout",
                           out=tmp_path / "none.csv")


def test_cpu_defaults_leave_a_thread_count_the_user_set_in_the_environment(monkeypatch):
    threads = torch.get_num_threads()
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    try:
        line = apply_cpu_defaults()
    finally:
        torch.set_num_threads(threads)
    assert line == (f"CPU settings: torch threads {threads} (OMP_NUM_THREADS=3); allocator as set by "
                    "MALLOC_MMAP_THRESHOLD_")
