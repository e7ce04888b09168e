"""Every architecture, tiny and randomly initialised, trains, saves, resumes exactly and predicts on CPU."""
import csv
import json
import os
import subprocess
import sys

import pytest
import torch
from django.core.management import call_command

from moslab_science.iqa import ARCHITECTURES, IqaError, predict_folder, resolve_config, train_run
from tests.conftest import REPO
from tests.modeling.iqa_fixtures import make_study_data  # (also: one torch thread)


def quiet(message: str) -> None:
    """Training logs go nowhere in tests."""


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_tiny_model_trains_resumes_exactly_and_predicts(arch, tmp_path):
    table, images = make_study_data(tmp_path, size=(72, 68))
    config = resolve_config(arch, {"preset": "tiny"})

    whole = train_run(config=config, table=table, images=images, out=tmp_path / "whole", log=quiet)
    halted = train_run(config=config, table=table, images=images, out=tmp_path / "split", stop_after_epoch=1,
                       log=quiet)
    assert halted == {"interrupted_after_epoch": 1, "best": halted["best"]}
    assert not (tmp_path / "split" / "summary.json").exists()
    resumed = train_run(config=config, table=table, images=images, out=tmp_path / "split", resume=True, log=quiet)

    uninterrupted = torch.load(tmp_path / "whole" / "last.pt", weights_only=False)
    continued = torch.load(tmp_path / "split" / "last.pt", weights_only=False)
    assert uninterrupted["model"].keys() == continued["model"].keys()
    for key, value in uninterrupted["model"].items():
        assert torch.equal(value, continued["model"][key]), key
    assert uninterrupted["optimizer"]["state"].keys() == continued["optimizer"]["state"].keys()
    strip = [{k: v for k, v in record.items() if k != "seconds"} for record in uninterrupted["history"]]
    assert strip == [{k: v for k, v in record.items() if k != "seconds"} for record in continued["history"]]
    assert resumed["test"]["srcc"] == whole["test"]["srcc"]

    run = tmp_path / "whole"
    assert len(json.loads((run / "metrics.json").read_text())) == config["train"]["epochs"]
    assert json.loads((run / "config.json").read_text()) == config
    assert whole["counts"] == {"train": 6, "val": 3, "test": 3}
    assert whole["test"]["n"] == 3
    with (run / "predictions_test.csv").open() as stream:
        assert [row["image"] for row in csv.DictReader(stream)] == ["img09.png", "img10.png", "img11.png"]

    scores = tmp_path / "scores.csv"
    assert predict_folder(run_dir=run, images=images, out=scores, table=table) == 12  # the prompts, for clip-agi
    with scores.open() as stream:
        rows = list(csv.DictReader(stream))
    assert [row["image"] for row in rows] == sorted(path.name for path in images.iterdir())
    with (run / "predictions_test.csv").open() as stream:
        test_scores = {row["image"]: float(row["score"]) for row in csv.DictReader(stream)}
    best_epoch = whole["best"]["epoch"]
    if best_epoch == config["train"]["epochs"]:  # the best checkpoint is the last model: same views, same scores
        assert {row["image"]: float(row["score"]) for row in rows if row["image"] in test_scores} == pytest.approx(
            test_scores
        )


def test_existing_run_directory_is_not_overwritten(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40))
    config = resolve_config("effnet-lite", {"preset": "tiny", "train": {"epochs": 1}})
    train_run(config=config, table=table, images=images, out=tmp_path / "run", log=quiet)
    with pytest.raises(IqaError, match="already holds a run"):
        train_run(config=config, table=table, images=images, out=tmp_path / "run", log=quiet)
    changed = resolve_config("effnet-lite", {"preset": "tiny", "train": {"epochs": 2, "seed": 5}})
    with pytest.raises(IqaError, match="differs from the run being resumed in train"):
        train_run(config=changed, table=table, images=images, out=tmp_path / "run", resume=True, log=quiet)


def test_gradient_accumulation_takes_one_step_per_group_of_batches(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40))
    config = resolve_config("effnet-lite", {"preset": "tiny", "train": {"epochs": 1, "grad_accum": 2}})
    train_run(config=config, table=table, images=images, out=tmp_path / "run", log=quiet)
    state = torch.load(tmp_path / "run" / "last.pt", weights_only=False)
    # 6 training images, batches of 2: 3 micro-batches -> one full accumulation and one partial
    assert state["scheduler"]["last_epoch"] == 2


def test_train_and_predict_commands(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40))
    config_file = tmp_path / "tiny.toml"
    config_file.write_text('preset = "tiny"\n[train]\nepochs = 1\n')
    call_command("iqa", "train", "--arch", "effnet-lite", "--table", str(table), "--images", str(images),
                 "--out", str(tmp_path / "run"), "--config", str(config_file))
    call_command("iqa", "predict", "--checkpoint", str(tmp_path / "run"), "--images", str(images),
                 "--out", str(tmp_path / "pred.csv"))
    with (tmp_path / "pred.csv").open() as stream:
        assert len(list(csv.DictReader(stream))) == 12


def test_test_part_is_broken_down_by_the_group_column(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40), parts=["train"] * 6 + ["val"] * 3 + ["test"] * 7)
    rows = table.read_text().splitlines()
    kinds = ["blur", "noise"] * 7 + ["blur", "lonely"]
    labelled = [f"{row},{kind}" for row, kind in zip(rows[1:], kinds, strict=True)]
    table.write_text("\n".join([rows[0] + ",kind", *labelled]) + "\n")
    config = resolve_config("effnet-lite", {"preset": "tiny", "train": {"epochs": 1},
                                            "data": {"group_column": "kind"}})
    summary = train_run(config=config, table=table, images=images, out=tmp_path / "run", log=quiet)
    breakdown = summary["test_by_group"]
    assert breakdown["column"] == "kind"
    # test rows 10-16 carry noise, blur, noise, blur, noise, blur, lonely
    assert {name: result["n"] for name, result in breakdown["groups"].items()} == {"blur": 3, "noise": 3}
    assert list(breakdown["skipped"]) == ["lonely"]


def test_web_app_and_iqa_command_load_without_importing_torch():
    """torch is the optional extra moslab[iqa]: Django, the URLs and `manage.py iqa` must not need it."""
    code = ("import sys, django; django.setup(); import config.urls, modeling.management.commands.iqa; "
            "print('torch' in sys.modules)")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    finished = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=120)
    assert finished.stdout.strip() == "False", finished.stderr[-2000:]
