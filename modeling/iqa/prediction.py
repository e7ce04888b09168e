"""Scoring a folder of images with a trained run's best checkpoint."""
from pathlib import Path

import torch

from modeling.iqa.checkpoints import load_best
from modeling.iqa.images import list_images, scan_images
from modeling.iqa.registry import build_model
from modeling.iqa.scoring import predict_images, write_predictions


def predict_folder(*, run_dir: Path, images: Path, out: Path, device: str = "cpu") -> int:
    """Write ``image,score`` for every image in `images` (MOS scale of the training table); returns the count."""
    state = load_best(Path(run_dir))
    config = state["config"]
    model = build_model(config["arch"], {**config, "pretrained": False})  # the checkpoint holds every weight
    model.load_state_dict(state["model"])
    where = torch.device(device)
    names = list_images(Path(images))
    scan_images(Path(images), names, max_pixels=config["data"]["max_pixels"])
    scores = predict_images(model.to(where), Path(images), names, config, device=where, target=state["target"])
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    write_predictions(Path(out), names, scores)
    return len(names)
