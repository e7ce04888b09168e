"""Scoring images with a model (multi-view averaging) and the validation figures a run selects on."""
import contextlib
import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from moslab_science.csv_safe import safe_cell
from moslab_science.iqa.data import evaluation_views
from moslab_science.iqa.errors import IqaError
from moslab_science.metrics import UndefinedMetricError, krcc, plcc, selection_score, srcc


def _nothing(_count: int) -> None:
    return None


def autocast(device: torch.device, amp: str):
    """bf16 autocast on CUDA when asked; CPU runs stay in float32."""
    if device.type == "cuda" and amp == "bf16":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def run_model(model: nn.Module, views: torch.Tensor, texts: list[str], *, prompted: bool,
              levels: bool = False) -> torch.Tensor:
    """The model's scores of a batch of views (or its five level logits, `levels`); a model that takes text
    (`takes_text`) also gets each view's: its image's prompt, or its image's name (`uses_names`)."""
    options = {"levels": True} if levels else {}
    return model(views, texts, **options) if prompted else model(views, **options)


def uses_prompts(model: nn.Module) -> bool:
    return getattr(model, "uses_prompts", False)


def uses_names(model: nn.Module) -> bool:
    """The model finds per-image inputs (cached features) by image name."""
    return getattr(model, "uses_names", False)


def takes_text(model: nn.Module) -> bool:
    return uses_prompts(model) or uses_names(model)


def sample_texts(model: nn.Module, names: list[str], prompts: list[str]) -> list[str]:
    """The text each image's views go to the model with: the image name or its prompt."""
    return list(names) if uses_names(model) else list(prompts)


def prepare_model(model: nn.Module, *, images: Path, names: list[str], cache: Path, device: torch.device,
                  log=None) -> None:
    """Let a model with per-image inputs read or compute them (``prepare``) before it scores `names`."""
    if hasattr(model, "prepare"):
        features = model.prepare(images=images, names=names, cache=cache, device=device)
        if log is not None:
            log(f"LMM features: {features.read} read from {cache}, {features.computed} computed")


@torch.no_grad()
def predict_images(model: nn.Module, folder: Path, names: list[str], config: dict, *, device: torch.device,
                   target: dict, prompts: list[str] | None = None,
                   scored: Callable[[int], object] = _nothing) -> np.ndarray:
    """One score per image on the MOS scale: the mean of the model over the image's evaluation views
    (`prompts`, one per image, for a prompt-conditioned model). `scored(n)` is called after each image (n
    scored so far): for progress, and it may raise to stop."""
    if uses_prompts(model) and prompts is None:
        raise IqaError("this model scores an image against its text prompt: give a table with a "
                       f"{config['data']['prompt_column'] or 'prompt'!r} column for the images")
    was_training = model.training
    model.eval()
    scores = []
    try:
        for index, name in enumerate(names):
            views = evaluation_views(folder, name, config["input"], seed=config["train"]["seed"]).to(device)
            text = name if uses_names(model) else prompts[index] if prompts is not None else None
            view_texts = [text] * len(views) if text is not None else []
            with autocast(device, config["train"]["amp"]):
                scores.append(float(run_model(model, views, view_texts, prompted=takes_text(model)).float().mean()))
            scored(index + 1)
    finally:
        model.train(was_training)
    return np.asarray(scores) * target["std"] + target["mean"]


def validation_figures(predictions: np.ndarray, mos: np.ndarray, select_metric: str) -> dict:
    """SRCC, PLCC, KRCC and the selection score; all None (and never selected) when undefined, e.g. for the
    constant output of an untrained model."""
    try:
        figures = {"srcc": srcc(predictions, mos), "plcc": plcc(predictions, mos), "krcc": krcc(predictions, mos)}
    except UndefinedMetricError as error:
        return {"srcc": None, "plcc": None, "krcc": None, "select": None, "note": str(error)}
    figures["select"] = selection_score(predictions, mos) if select_metric == "srcc_plcc" else figures["srcc"]
    return figures


def write_predictions(path: Path, names: list[str], scores: np.ndarray, mos: np.ndarray | None = None) -> None:
    """CSV ``image,score`` (and ``mos`` when known), the form ``iqa evaluate --pred`` reads."""
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["image", "score"] + (["mos"] if mos is not None else []))
        for index, name in enumerate(names):
            row = [safe_cell(name), repr(float(scores[index]))]
            writer.writerow(row + ([repr(float(mos[index]))] if mos is not None else []))
