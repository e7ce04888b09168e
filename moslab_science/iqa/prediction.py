"""Scoring images with a trained run's best checkpoint (named images, a folder, or one part of a table), or zero-shot
with an architecture's pretrained weights."""
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from moslab_science.iqa.checkpoints import FEATURES, load_best
from moslab_science.iqa.errors import IqaError
from moslab_science.iqa.images import list_images, scan_images
from moslab_science.iqa.progress import Meter, Progress, ignore
from moslab_science.iqa.registry import build_model, restore_model, zero_shot_problem
from moslab_science.iqa.scoring import predict_images, prepare_model, uses_prompts, write_predictions
from moslab_science.iqa.table import read_prompts, read_training_table

UNSCALED = {"mean": 0.0, "std": 1.0}  # a model's own output, as no training table scaled its targets


def predict_names(*, run_dir: Path, images: Path, names: list[str], device: str = "cpu",
                  prompts: list[str] | None = None, progress: Callable[[Progress], None] = ignore) -> np.ndarray:
    """Scores (MOS scale of the training table) of the named images of `images`, with the run's best checkpoint.
    Every image is checked first (as before training: found, decodable, as large as the evaluation crop)."""
    state = load_best(Path(run_dir))
    model = restore_model(state["config"], state["model"])
    return _score_names(model, state["config"], state["target"], images=Path(images), names=names, device=device,
                        prompts=prompts, cache=Path(run_dir) / FEATURES, progress=progress)


def predict_pretrained(*, config: dict, images: Path, names: list[str], cache: Path, device: str = "cpu",
                       prompts: list[str] | None = None, progress: Callable[[Progress], None] = ignore) -> np.ndarray:
    """Zero-shot scores of the named images by architecture ``config["arch"]`` on its pretrained weights, no
    training: on the model's own scale (1..5 for the level and antonym prompt scorers). IqaError (WeightError
    naming the file to place) when the configuration cannot score without training (``zero_shot_problem``)."""
    problem = zero_shot_problem(config["arch"], config)
    if problem:
        raise IqaError(f"{config['arch']} {problem}")
    torch.manual_seed(config["train"]["seed"])
    model = build_model(config["arch"], config)
    return _score_names(model, config, UNSCALED, images=Path(images), names=names, device=device, prompts=prompts,
                        cache=Path(cache), progress=progress)


def _score_names(model: torch.nn.Module, config: dict, target: dict, *, images: Path, names: list[str], device: str,
                 prompts: list[str] | None, cache: Path, progress: Callable[[Progress], None]) -> np.ndarray:
    scan = scan_images(images, names, max_pixels=config["data"]["max_pixels"], inputs=config["input"],
                       ignore_case=config["data"]["ignore_case"], progress=progress)
    files = [scan.files[name] for name in names]
    where = torch.device(device)
    prepare_model(model.to(where), images=images, names=files, cache=cache, device=where)
    meter = Meter("predict", len(files), progress)
    return predict_images(model.to(where), images, files, config, device=where, target=target,
                          prompts=prompts if uses_prompts(model) else None, scored=meter.advance)


def predict_folder(*, run_dir: Path, images: Path, out: Path, device: str = "cpu", table: Path | None = None,
                   progress: Callable[[Progress], None] = ignore) -> int:
    """Write ``image,score`` for every image in `images` (MOS scale of the training table); returns the count.
    A prompt-conditioned model reads each image's prompt from `table` (the run's data.prompt_column)."""
    config = load_best(Path(run_dir))["config"]
    names = list_images(Path(images))
    prompts = None
    if config["data"]["prompt_column"] and table is not None:
        by_name = read_prompts(Path(table), config["data"])
        missing = [name for name in names if name not in by_name]
        if missing:
            raise IqaError(f"{Path(table).name} has no prompt for {len(missing)} image(s), e.g. {missing[:3]}")
        prompts = [by_name[name] for name in names]
    scores = predict_names(run_dir=run_dir, images=images, names=names, device=device, prompts=prompts,
                           progress=progress)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    write_predictions(Path(out), names, scores)
    return len(names)


def predict_table_part(*, run_dir: Path, images: Path, table: Path, part: str, out: Path, device: str = "cpu",
                       split_column: str | None = None, progress: Callable[[Progress], None] = ignore) -> int:
    """Write ``image,score,mos`` for the rows of `table` in `part` (e.g. test) of its split column (the run's
    data.split_column unless `split_column`); returns the count."""
    config = load_best(Path(run_dir))["config"]
    data = {**config["data"], "split_column": split_column or config["data"]["split_column"],
            "group_column": None, "std_column": None, "level_columns": None}  # what scoring does not read
    items = [item for item in read_training_table(Path(table), data, required_parts=()) if item.part == part]
    if not items:
        raise IqaError(f"{Path(table).name} has no row whose {data['split_column']} is {part!r}")
    names = [item.name for item in items]
    scores = predict_names(run_dir=run_dir, images=images, names=names, device=device,
                           prompts=[item.prompt for item in items], progress=progress)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    write_predictions(Path(out), names, scores, np.array([item.mos for item in items]))
    return len(names)
