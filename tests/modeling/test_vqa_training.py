"""Tiny random-initialised video models on synthetic clips: AIGC-VQA through its three stages (which
parameters each stage trains, the final score, resuming), the CLIP video baseline, the commands, bad input."""
import csv
import json
import os
import subprocess
import sys

import pytest
import torch
from django.core.management import call_command
from django.core.management.base import CommandError

from moslab_science.iqa import TrainingHooks, WeightError
from moslab_science.iqa.checkpoints import load_best
from moslab_science.vqa import VqaError, build_model, predict_videos, resolve_config, train_video_run
from moslab_science.vqa.training import fresh_model
from tests.conftest import REPO
from tests.modeling.iqa_fixtures import write_table  # (also: one torch thread)
from tests.videos import write_video

PARTS = ["train"] * 6 + ["val"] * 3 + ["test"] * 3
COLUMNS = ("video", "mos", "technical", "aesthetic", "alignment", "prompt", "split")
QUIET = {"log": lambda message: None}


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """12 clips of 8 frames at 64x48 (every fourth in WebM) and their table: three dimensions and prompts."""
    root = tmp_path_factory.mktemp("clips")
    rows = []
    for index, part in enumerate(PARTS):
        name = f"clip{index:02d}.{'webm' if index % 4 == 3 else 'mp4'}"
        write_video(root / "videos" / name, frames=8, fps=8, size=(64, 48), seed=index)
        rows.append({"video": name, "mos": 20 + 5 * index + index % 3, "technical": 30 + 4 * index,
                     "aesthetic": 60 - 3 * index, "alignment": "" if index % 5 == 0 else 10 + 2 * index,
                     "prompt": f"a synthetic scene number {index}", "split": part})
    return write_table(root / "table.csv", rows, COLUMNS), root / "videos"


def states(path) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location="cpu", weights_only=False)["model"]


def changed(before: dict, after: dict, names) -> dict[str, bool]:
    return {name: not torch.equal(before[name], after[name]) for name in names}


def read_csv(path) -> list[dict]:
    with open(path) as stream:
        return list(csv.DictReader(stream))


def test_three_stages_train_the_right_parameters_and_resume_exactly(clips, tmp_path):
    table, videos = clips
    config = resolve_config("aigc-vqa", {"preset": "tiny", "stages": {"branches": {"epochs": 2}}})
    model = fresh_model(config)
    initial = {name: value.clone() for name, value in model.state_dict().items()}
    by_design = [name for name, parameter in model.named_parameters() if parameter.requires_grad]
    branch = {prefix: [name for name in by_design if name.startswith(prefix + ".")]
              for prefix in ("technical", "aesthetic", "alignment")}
    run = tmp_path / "run"

    train_video_run(config=config, table=table, videos=videos, out=run, stop_after_epoch=1, **QUIET)  # mid-stage
    train_video_run(config=config, table=table, videos=videos, out=run, resume=True, stop_after_epoch=2, **QUIET)
    after_1 = states(run / "last.pt")
    assert all(changed(initial, after_1, branch["technical"] + branch["aesthetic"]).values())
    assert not any(changed(initial, after_1, branch["alignment"]).values())

    restored = []
    hooks = TrainingHooks(on_resume=restored.append)
    train_video_run(config=config, table=table, videos=videos, out=run, resume=True, stop_after_epoch=3, hooks=hooks,
                    **QUIET)
    assert [[record["epoch"] for record in history] for history in restored] == [[1, 2]]  # what last.pt holds
    after_2 = states(run / "last.pt")
    assert not any(changed(after_1, after_2, branch["technical"] + branch["aesthetic"]).values())
    moved = changed(after_1, after_2, branch["alignment"])
    assert all(moved[name] for name in moved if name.startswith(("alignment.adapter.", "alignment.head.")))
    assert not any(moved[name] for name in moved if name.startswith("alignment.vision.embeddings."))  # kept
    first = next(index for index, name in enumerate(branch["alignment"]) if moved[name])
    assert all(moved[name] for name in branch["alignment"][first:])  # the unfrozen part is the last share
    sizes = {name: initial[name].numel() for name in branch["alignment"]}
    share = sum(sizes[name] for name in moved if moved[name]) / sum(sizes.values())
    assert 0.3 <= share < 0.3 + max(sizes.values()) / sum(sizes.values())

    summary = train_video_run(config=config, table=table, videos=videos, out=run, resume=True, **QUIET)
    after_3 = states(run / "last.pt")
    for prefix, first_layer, head in (("technical", "technical.backbone.patch_embed.", "technical.head."),
                                      ("aesthetic", "aesthetic.net.backbone._conv_stem.", "aesthetic.net.head."),
                                      ("alignment", "alignment.vision.embeddings.", "alignment.head.")):
        moved = changed(after_2, after_3, branch[prefix])
        assert all(moved[name] for name in moved if name.startswith(head))
        assert not any(moved[name] for name in moved if name.startswith(first_layer))  # 10% share: kept
    assert summary["epochs"] == 4 and [record["stage"] for record in json.loads((run / "metrics.json").read_text())] \
        == ["branches", "branches", "alignment", "joint"]
    assert summary["test"]["n"] == 3

    straight = tmp_path / "straight"
    train_video_run(config=config, table=table, videos=videos, out=straight, **QUIET)
    for name, value in states(straight / "last.pt").items():
        assert torch.equal(value, after_3[name]), name
    assert (straight / "predictions_test.csv").read_text() == (run / "predictions_test.csv").read_text()


def test_final_score_is_the_sum_of_the_branch_scores(clips, tmp_path):
    table, videos = clips
    config = resolve_config("aigc-vqa", {"preset": "tiny", "stages": {"alignment": {"epochs": 0},
                                                                       "joint": {"epochs": 0}}})
    train_video_run(config=config, table=table, videos=videos, out=tmp_path / "run", **QUIET)
    rows = read_csv(tmp_path / "run" / "predictions_test.csv")
    assert list(rows[0]) == ["video", "score", "technical", "aesthetic", "alignment", "mos"]
    for row in rows:
        parts = float(row["technical"]) + float(row["aesthetic"]) + float(row["alignment"])
        assert float(row["score"]) == pytest.approx(parts, rel=1e-6)
    assert len({row["technical"] for row in rows}) == 3  # the branches do score each clip

    predict_videos(run_dir=tmp_path / "run", videos=videos, out=tmp_path / "pred.csv", table=table)
    predicted = {row["video"]: row for row in read_csv(tmp_path / "pred.csv")}
    assert len(predicted) == 12
    for row in rows:  # the same evaluation view: the test scores come back from predict
        assert float(predicted[row["video"]]["score"]) == pytest.approx(float(row["score"]), rel=1e-5)
    with pytest.raises(VqaError, match="give --table with a 'prompt' column"):
        predict_videos(run_dir=tmp_path / "run", videos=videos, out=tmp_path / "none.csv")


def test_clip_video_trains_predicts_and_runs_zero_shot(clips, tmp_path):
    table, videos = clips
    summary = train_video_run(config=resolve_config("clip-video", {"preset": "tiny"}), table=table, videos=videos,
                              out=tmp_path / "run", **QUIET)
    assert summary["epochs"] == 2 and summary["test"]["n"] == 3
    assert predict_videos(run_dir=tmp_path / "run", videos=videos, out=tmp_path / "pred.csv") == 12
    assert list(read_csv(tmp_path / "pred.csv")[0]) == ["video", "score", "overall"]

    zero = resolve_config("clip-video", {"preset": "tiny", "stages": {"finetune": {"epochs": 0}}})
    summary = train_video_run(config=zero, table=table, videos=videos, out=tmp_path / "zero", **QUIET)
    assert summary["epochs"] == 0 and summary["best"]["epoch"] == 0
    state = load_best(tmp_path / "zero")
    assert all(torch.equal(value, fresh_model(zero).state_dict()[name]) for name, value in state["model"].items())

    model = build_model("clip-video", zero).eval()
    frames = torch.randn(2, 3, 3, 32, 32)  # (clips, frames, channels, size, size)
    with torch.no_grad():
        per_frame = model.clip(frames.flatten(0, 1)).view(2, 3)
        assert torch.allclose(model({"frames": frames}, ["", ""])["overall"], per_frame.mean(dim=1))


def test_train_and_predict_commands(clips, tmp_path):
    table, videos = clips
    overrides = tmp_path / "tiny.json"
    overrides.write_text(json.dumps({"preset": "tiny", "stages": {"alignment": {"epochs": 0}}}))
    call_command("vqa", "train", "--arch", "aigc-vqa", "--table", str(table), "--videos", str(videos),
                 "--out", str(tmp_path / "run"), "--config", str(overrides))
    call_command("vqa", "predict", "--checkpoint", str(tmp_path / "run"), "--videos", str(videos),
                 "--out", str(tmp_path / "pred.csv"), "--table", str(table))
    assert len(read_csv(tmp_path / "pred.csv")) == 12
    with pytest.raises(CommandError, match="already holds a run"):
        call_command("vqa", "train", "--arch", "aigc-vqa", "--table", str(table), "--videos", str(videos),
                     "--out", str(tmp_path / "run"), "--config", str(overrides))
    with pytest.raises(CommandError, match="unknown video architecture 'dover'"):
        call_command("vqa", "train", "--arch", "dover", "--table", str(table), "--videos", str(videos),
                     "--out", str(tmp_path / "other"))


def test_damaged_and_missing_clips_and_missing_prompts_stop_the_run_before_training(clips, tmp_path):
    table, videos = clips
    folder = tmp_path / "videos"
    folder.mkdir()
    for path in videos.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "clip01.mp4").write_bytes((folder / "clip01.mp4").read_bytes()[:300])  # truncated
    (folder / "clip02.mp4").unlink()
    config = resolve_config("aigc-vqa", {"preset": "tiny"})
    with pytest.raises(VqaError) as error:
        train_video_run(config=config, table=table, videos=folder, out=tmp_path / "run", **QUIET)
    assert "2 of 12 clip(s) cannot be used" in str(error.value)
    assert "clip01.mp4:" in str(error.value) and "clip02.mp4: no such file" in str(error.value)
    unprompted = tmp_path / "unprompted.csv"
    unprompted.write_text(table.read_text().replace("a synthetic scene number 4", ""))
    with pytest.raises(VqaError, match=r"1 clip\(s\) have none \(e.g. \['clip04.mp4'\]\)"):
        train_video_run(config=config, table=unprompted, videos=videos, out=tmp_path / "run2", **QUIET)


def test_pretrained_configuration_names_every_missing_weight(tmp_path, monkeypatch):
    monkeypatch.setenv("MOSLAB_WEIGHTS", str(tmp_path / "weights.toml"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(WeightError) as error:
        build_model("aigc-vqa", resolve_config("aigc-vqa"))
    message = str(error.value)
    assert "technical branch: pretrained weight 'video-swin-t-kinetics400' is missing" in message
    assert "alignment branch: pretrained weight 'blip-itm-base-coco' is missing" in message
    assert "Salesforce/blip-itm-base-coco" in message and '"pretrained": false' in message
    assert "aesthetic branch" not in message  # EfficientNet-Lite0 ships in an installed package
    with pytest.raises(WeightError, match="aesthetic branch: pretrained weight 'dover' is missing"):
        build_model("aigc-vqa", resolve_config("aigc-vqa", {"model": {"aesthetic": {"backbone": "convnext3d"}}}))


def test_vqa_command_loads_without_importing_torch():
    code = ("import sys, django; django.setup(); import modeling.management.commands.vqa; "
            "print('torch' in sys.modules)")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
