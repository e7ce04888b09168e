"""Scoring a folder of images with a trained run's best checkpoint."""
from pathlib import Path

import numpy as np
import torch

from moslab_science.iqa.checkpoints import FEATURES, load_best
from moslab_science.iqa.errors import IqaError
from moslab_science.iqa.images import list_images, scan_images
from moslab_science.iqa.registry import restore_model
from moslab_science.iqa.scoring import predict_images, prepare_model, uses_prompts, write_predictions
from moslab_science.iqa.table import read_prompts


def predict_names(*, run_dir: Path, images: Path, names: list[str], device: str = "cpu",
                  prompts: list[str] | None = None) -> np.ndarray:
    """Scores (MOS scale of the training table) of the named images of `images`, with the run's best checkpoint."""
    state = load_best(Path(run_dir))
    config = state["config"]
    model = restore_model(config, state["model"])
    scan_images(Path(images), names, max_pixels=config["data"]["max_pixels"])
    where = torch.device(device)
    prepare_model(model.to(where), images=Path(images), names=names, cache=Path(run_dir) / FEATURES, device=where)
    return predict_images(model.to(where), Path(images), names, config, device=where, target=state["target"],
                          prompts=prompts if uses_prompts(model) else None)


def predict_folder(*, run_dir: Path, images: Path, out: Path, device: str = "cpu", table: Path | None = None) -> int:
    """Write ``image,score`` for every image in `images` (MOS scale of the training table); returns the count.
    A prompt-conditioned model reads each image's prompt from `table` (the run's data.prompt_column)."""
    state = load_best(Path(run_dir))
    config = state["config"]
    model = restore_model(config, state["model"])
    where = torch.device(device)
    names = list_images(Path(images))
    scan_images(Path(images), names, max_pixels=config["data"]["max_pixels"])
    prepare_model(model.to(where), images=Path(images), names=names, cache=Path(run_dir) / FEATURES, device=where)
    prompts = None
    if uses_prompts(model) and table is not None:
        by_name = read_prompts(Path(table), config["data"])
        missing = [name for name in names if name not in by_name]
        if missing:
            raise IqaError(f"{Path(table).name} has no prompt for {len(missing)} image(s), e.g. {missing[:3]}")
        prompts = [by_name[name] for name in names]
    scores = predict_images(model.to(where), Path(images), names, config, device=where, target=state["target"],
                            prompts=prompts)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    write_predictions(Path(out), names, scores)
    return len(names)
