"""Scoring clips with a model: per-branch scores and the final score (their sum), and the prediction CSV."""
import csv
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from moslab_science.csv_safe import safe_cell
from moslab_science.iqa.scoring import autocast
from moslab_science.vqa.data import VideoSamples, collate
from moslab_science.vqa.errors import VqaError
from moslab_science.vqa.inputs import InputMaker
from moslab_science.vqa.table import VideoItem


def final_score(outputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """The final score: the sum of the branch scores."""
    return torch.stack(list(outputs.values())).sum(dim=0)


@torch.no_grad()
def score_videos(model: nn.Module, folder: Path, items: list[VideoItem], frame_counts: dict[str, int],
                 make: InputMaker, config: dict, *, device: torch.device) -> dict[str, np.ndarray]:
    """``{"score": ..., <branch>: ...}``, one value per item, from each clip's evaluation view."""
    if getattr(model, "uses_prompts", False) and any(not item.prompt for item in items):
        missing = [item.name for item in items if not item.prompt]
        raise VqaError(f"{len(missing)} clip(s) have no text prompt (e.g. {missing[:3]}): this model scores each "
                       f"clip against its prompt; give a table with a {config['data']['prompt_column']!r} column")
    was_training = model.training
    model.eval()
    samples = VideoSamples(folder, items, frame_counts, make, config["input"], seed=None)
    loader = DataLoader(samples, batch_size=config["train"]["batch_size"], collate_fn=collate,
                        num_workers=config["train"]["num_workers"])
    collected: dict[str, list[np.ndarray]] = {}
    for inputs, _, prompts in loader:
        with autocast(device, config["train"]["amp"]):
            outputs = model({key: value.to(device) for key, value in inputs.items()}, prompts)
        outputs = {key: value.float() for key, value in outputs.items()}
        for key, value in {"score": final_score(outputs), **outputs}.items():
            collected.setdefault(key, []).append(value.cpu().numpy())
    model.train(was_training)
    return {key: np.concatenate(values).astype(float) for key, values in collected.items()}


def write_predictions(path: Path, names: list[str], scores: dict[str, np.ndarray],
                      mos: np.ndarray | None = None) -> None:
    """CSV ``video,score`` then one column per branch (and ``mos`` when known); ``score`` is the branches' sum."""
    branches = [key for key in scores if key != "score"]
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["video", "score", *branches, *(["mos"] if mos is not None else [])])
        for index, name in enumerate(names):
            row = [safe_cell(name), *(repr(float(scores[key][index])) for key in ("score", *branches))]
            writer.writerow(row + ([repr(float(mos[index]))] if mos is not None else []))
