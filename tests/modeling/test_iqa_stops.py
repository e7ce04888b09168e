"""Runs stopped mid-epoch (SIGTERM, a time limit) resume from the step they stopped after; --restart and --resume."""
import os
import signal
import time

import pytest
import torch

from moslab_science.iqa import IqaError, TrainingHooks, TrainingStopped, resolve_config, train_run
from tests.modeling.iqa_fixtures import make_study_data  # (also: one torch thread)

TINY = {"preset": "tiny", "train": {"epochs": 2, "batch_size": 2}}  # 6 training images: 3 steps per epoch


def quiet(message: str) -> None:
    """Training logs go nowhere in tests."""


def weights_equal(first: dict, second: dict) -> None:
    assert first["model"].keys() == second["model"].keys()
    for key, value in first["model"].items():
        assert torch.equal(value, second["model"][key]), key
    for index, state in first["optimizer"]["state"].items():
        for key, value in state.items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(second["optimizer"]["state"][index][key])), key


def test_sigterm_mid_epoch_saves_the_step_and_the_resumed_run_ends_bit_identical(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40))
    config = resolve_config("effnet-lite", TINY)
    whole = train_run(config=config, table=table, images=images, out=tmp_path / "whole", log=quiet)

    def terminate(epoch: int, step: int, steps: int) -> None:
        if (epoch, step) == (1, 1):  # a real SIGTERM to this process, as a scheduler or `kill` sends it
            os.kill(os.getpid(), signal.SIGTERM)

    handler = signal.getsignal(signal.SIGTERM)
    with pytest.raises(TrainingStopped) as stopped:
        train_run(config=config, table=table, images=images, out=tmp_path / "split", log=quiet,
                  hooks=TrainingHooks(on_step=terminate))
    assert stopped.value.reason == "SIGTERM"
    assert str(stopped.value).startswith("stopped during epoch 2 after step 1 of 3 (SIGTERM); last.pt holds")
    assert signal.getsignal(signal.SIGTERM) is handler  # the caller's handler is back
    saved = torch.load(tmp_path / "split" / "last.pt", weights_only=False)
    assert (saved["position"]["epoch"], saved["position"]["step"], len(saved["history"])) == (1, 1, 1)

    logs = []
    resumed = train_run(config=config, table=table, images=images, out=tmp_path / "split", resume=True,
                        log=logs.append)
    assert "resuming during epoch 2 after step 1 of 3" in logs
    uninterrupted = torch.load(tmp_path / "whole" / "last.pt", weights_only=False)
    continued = torch.load(tmp_path / "split" / "last.pt", weights_only=False)
    weights_equal(uninterrupted, continued)
    strip = [{k: v for k, v in record.items() if k != "seconds"} for record in uninterrupted["history"]]
    assert strip == [{k: v for k, v in record.items() if k != "seconds"} for record in continued["history"]]
    assert resumed["test"]["srcc"] == whole["test"]["srcc"] and resumed["best"] == whole["best"]


def test_a_checkpoint_is_written_every_n_steps_inside_an_epoch(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40))
    config = resolve_config("effnet-lite", {**TINY, "train": {**TINY["train"], "checkpoint_every_steps": 2}})
    seen = {}

    def look(epoch: int, step: int, steps: int) -> None:
        state = torch.load(tmp_path / "run" / "last.pt", weights_only=False) if epoch or step > 1 else None
        seen[(epoch, step)] = state and (state["position"]["epoch"], state["position"]["step"])

    train_run(config=config, table=table, images=images, out=tmp_path / "run", log=quiet,
              hooks=TrainingHooks(on_step=look))
    assert seen == {(0, 1): None, (0, 2): (0, 2), (0, 3): (0, 2), (1, 1): (1, 0), (1, 2): (1, 2), (1, 3): (1, 2)}


def test_time_limit_stops_within_five_percent_resumable_and_more_epochs_continue_it(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40))
    config = resolve_config("effnet-lite", {"preset": "tiny", "train": {"epochs": 1000, "batch_size": 2}})
    limit = 20.0  # the set-up (scan, model, timing the closing work) takes seconds on a loaded CPU
    started = time.monotonic()
    logs = []
    summary = train_run(config=config, table=table, images=images, out=tmp_path / "run", time_limit=limit,
                        log=logs.append)
    took = time.monotonic() - started
    assert 0.95 * limit <= took <= 1.05 * limit, took
    assert summary["stopped"].startswith("time limit, stopped during epoch")
    assert summary["test"]["n"] == 3  # the best model so far scored the test part
    assert any("the time limit of 0:20 is reached" in line for line in logs)
    state = torch.load(tmp_path / "run" / "last.pt", weights_only=False)
    stopped_at = state["position"]["epoch"]
    assert stopped_at == len(state["history"]) >= 1

    longer = resolve_config("effnet-lite", {"preset": "tiny", "train": {"epochs": 1001, "batch_size": 2}})
    logs = []
    train_run(config=longer, table=table, images=images, out=tmp_path / "run", resume=True,
              stop_after_epoch=stopped_at + 2, log=logs.append)
    assert ("train.epochs raised from 1000 to 1001: the learning-rate schedule now spans 1001 epochs from this step "
            "on") in logs
    state = torch.load(tmp_path / "run" / "last.pt", weights_only=False)
    assert [record["epoch"] for record in state["history"]] == list(range(1, stopped_at + 3))
    assert state["config"] == longer

    shorter = resolve_config("effnet-lite", {"preset": "tiny", "train": {"epochs": 999, "batch_size": 2}})
    with pytest.raises(IqaError, match="train.epochs can only be raised when resuming: the run was started with 1001"):
        train_run(config=shorter, table=table, images=images, out=tmp_path / "run", resume=True, log=quiet)


def test_restart_starts_a_run_directory_over_and_resume_says_what_to_do_without_a_checkpoint(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40))
    config = resolve_config("effnet-lite", {"preset": "tiny", "train": {"epochs": 1}})
    run = tmp_path / "run"
    with pytest.raises(IqaError, match="holds no last.pt to resume from .no run was started there.: pass --restart"):
        train_run(config=config, table=table, images=images, out=run, resume=True, log=quiet)
    train_run(config=config, table=table, images=images, out=run, log=quiet)
    (run / "last.pt").unlink()  # as a run that crashed before its first checkpoint leaves it
    (run / "notes.txt").write_text("kept")
    with pytest.raises(IqaError, match="it stopped before its first checkpoint.: pass --restart to start it over"):
        train_run(config=config, table=table, images=images, out=run, resume=True, log=quiet)
    with pytest.raises(IqaError, match="already holds a run: pass --resume .*, --restart to start it over"):
        train_run(config=config, table=table, images=images, out=run, log=quiet)
    with pytest.raises(IqaError, match="either --resume .* or --restart"):
        train_run(config=config, table=table, images=images, out=run, resume=True, restart=True, log=quiet)
    summary = train_run(config=config, table=table, images=images, out=run, restart=True, log=quiet)
    assert summary["epochs"] == 1 and (run / "last.pt").exists()
    assert (run / "notes.txt").read_text() == "kept"  # only the files a run writes are removed
