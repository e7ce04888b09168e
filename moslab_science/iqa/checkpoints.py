"""The run directory: what a run writes, and reading it back to resume or to predict.

RUN_DIR/config.json       the resolved configuration
RUN_DIR/metrics.json      one entry per finished epoch (loss, validation SRCC/PLCC/KRCC, learning rates)
RUN_DIR/last.pt           everything needed to resume exactly (model, optimiser, schedule, RNG states, and the
                          position: the epoch in progress and the steps it has taken), written every
                          train.checkpoint_every_steps steps, at each epoch's end and when the run is stopped
RUN_DIR/best.pt           the model of the epoch with the best validation score, with its config
RUN_DIR/predictions_val.csv, predictions_test.csv, summary.json (test part scored once, at the end)
RUN_DIR/lmm_features/     per-image model inputs computed once (MA-AGIQA's LMM features), see lmm_features.py
"""
import json
import random
import shutil
from pathlib import Path

import numpy as np
import torch

from moslab_science.iqa.errors import IqaError

LAST = "last.pt"
BEST = "best.pt"
FEATURES = "lmm_features"
CONFIG = "config.json"
RUN_FILES = (CONFIG, "metrics.json", LAST, BEST, "predictions_val.csv", "predictions_test.csv", "summary.json",
             LAST.replace(".pt", ".tmp"), BEST.replace(".pt", ".tmp"))


def write_json(path: Path, data) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    temporary.replace(path)


def save(path: Path, state: dict) -> None:
    """Written to a temporary file first, so an interrupted save never leaves a half checkpoint."""
    temporary = path.with_suffix(".tmp")
    torch.save(state, temporary)
    temporary.replace(path)


def rng_state() -> dict:
    state = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def prepare_run_dir(run_dir: Path, *, resume: bool, restart: bool) -> None:
    """Check that `run_dir` can take the run as asked; `restart` first removes a previous run's files (only
    those a run writes, and only where config.json shows a run)."""
    if resume and restart:
        raise IqaError("pass either --resume (continue the run) or --restart (start it over), not both")
    holds_run = (run_dir / CONFIG).exists()
    if restart and holds_run:
        for name in RUN_FILES:
            (run_dir / name).unlink(missing_ok=True)
        shutil.rmtree(run_dir / FEATURES, ignore_errors=True)
    elif resume and not (run_dir / LAST).exists():
        stage = ("it stopped before its first checkpoint" if holds_run else "no run was started there")
        raise IqaError(f"{run_dir} holds no {LAST} to resume from ({stage}): pass --restart to start it over, "
                       "or leave out --resume")
    elif not resume and holds_run:
        raise IqaError(f"{run_dir} already holds a run: pass --resume to continue it from its last checkpoint, "
                       "--restart to start it over, or choose another --out")


def load_resume_state(run_dir: Path, config: dict, *, adjustable: tuple[str, ...] = ()) -> dict:
    """last.pt of `run_dir`, refused when `config` differs from the run's other than in the `adjustable` train
    keys; "epochs" among them may only be raised (a longer schedule)."""
    path = run_dir / LAST
    if not path.exists():
        raise IqaError(f"{run_dir} holds no {LAST} to resume from; start a new run instead")
    state = torch.load(path, map_location="cpu", weights_only=False)
    saved = state["config"]
    if "epochs" in adjustable and config["train"]["epochs"] < saved["train"]["epochs"]:
        raise IqaError(f"train.epochs can only be raised when resuming: the run was started with "
                       f"{saved['train']['epochs']}, not {config['train']['epochs']}")
    fixed = [_without(saved, adjustable), _without(config, adjustable)]
    if fixed[0] != fixed[1]:
        changed = sorted(f"{key}.{inner}" if inner else key
                         for key in set(config) | set(saved) if fixed[0].get(key) != fixed[1].get(key)
                         for inner in (_changed(fixed[0].get(key), fixed[1].get(key)) or [""]))
        raise IqaError(f"the configuration differs from the run being resumed in {', '.join(changed)}; "
                       "resume with the same configuration"
                       + (f" (only train.{', train.'.join(adjustable)} may change)" if adjustable else "")
                       + ", or start a new run directory")
    return state


def _without(config: dict, adjustable: tuple[str, ...]) -> dict:
    return {**config, "train": {k: v for k, v in config.get("train", {}).items() if k not in adjustable}}


def _changed(saved, given) -> list[str]:
    if not isinstance(saved, dict) or not isinstance(given, dict):
        return []
    return sorted(key for key in set(saved) | set(given) if saved.get(key) != given.get(key))


def load_best(run_dir: Path) -> dict:
    """The best checkpoint of a finished (or interrupted) run: config, model weights, target scaling. It holds
    only tensors and plain values, so it is read with ``weights_only`` (no pickled code runs)."""
    path = Path(run_dir) / BEST
    if not path.exists():
        raise IqaError(f"{run_dir} holds no {BEST}: give the directory a training run wrote (iqa train --out)")
    return torch.load(path, map_location="cpu", weights_only=True)


def model_state(model) -> dict:
    """What a checkpoint keeps of `model`: its state dict, or less where the model says (``checkpoint_state``: an
    LMM with LoRA adapters over pretrained weights keeps only what training changed)."""
    return model.checkpoint_state() if hasattr(model, "checkpoint_state") else model.state_dict()


def load_model_state(model, state: dict) -> None:
    if hasattr(model, "load_checkpoint_state"):
        model.load_checkpoint_state(state)
    else:
        model.load_state_dict(state)
