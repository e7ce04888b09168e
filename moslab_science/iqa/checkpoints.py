"""The run directory: what a run writes, and reading it back to resume or to predict.

RUN_DIR/config.json       the resolved configuration
RUN_DIR/metrics.json      one entry per finished epoch (loss, validation SRCC/PLCC/KRCC, learning rates)
RUN_DIR/last.pt           everything needed to resume exactly (model, optimiser, schedule, RNG states)
RUN_DIR/best.pt           the model of the epoch with the best validation score, with its config
RUN_DIR/predictions_val.csv, predictions_test.csv, summary.json (test part scored once, at the end)
RUN_DIR/lmm_features/     per-image model inputs computed once (MA-AGIQA's LMM features), see lmm_features.py
"""
import json
import random
from pathlib import Path

import numpy as np
import torch

from moslab_science.iqa.errors import IqaError

LAST = "last.pt"
BEST = "best.pt"
FEATURES = "lmm_features"


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


def load_resume_state(run_dir: Path, config: dict) -> dict:
    path = run_dir / LAST
    if not path.exists():
        raise IqaError(f"{run_dir} holds no {LAST} to resume from; start a new run instead")
    state = torch.load(path, map_location="cpu", weights_only=False)
    if state["config"] != config:
        saved = state["config"]
        changed = sorted(key for key in set(config) | set(saved) if config.get(key) != saved.get(key))
        raise IqaError(f"the configuration differs from the run being resumed in {', '.join(changed)}; "
                       "resume with the same configuration or start a new run directory")
    return state


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
