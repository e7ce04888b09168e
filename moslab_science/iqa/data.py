"""Datasets of image views for training, and the per-image views used at evaluation."""
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from moslab_science.iqa.errors import IqaError
from moslab_science.iqa.images import read_rgb
from moslab_science.iqa.transforms import eval_views, resize, to_tensor, train_view


def load_pixels(folder: Path, name: str, inputs: dict) -> np.ndarray:
    """The image's pixels, resized where the configuration says (its size against the crop was checked by
    the scan before the run: images.scan_images)."""
    return resize(read_rgb(folder / name)[0], inputs["resize"])


class TrainingViews(Dataset):
    """`train_patches` random views of each image per epoch; view i of epoch e is drawn from a generator
    seeded with (seed, e, i), so an interrupted and resumed run sees exactly the same samples. Each sample
    carries its image's text prompt ("" without a prompt column)."""

    def __init__(self, folder: Path, names: list[str], targets: np.ndarray, inputs: dict, *, seed: int,
                 prompts: list[str]):
        self.folder, self.names, self.targets, self.inputs, self.seed = folder, names, targets, inputs, seed
        self.prompts = prompts
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.names) * self.inputs["train_patches"]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, str]:
        item = index // self.inputs["train_patches"]
        rng = np.random.default_rng([self.seed, self.epoch, index])
        pixels = load_pixels(self.folder, self.names[item], self.inputs)
        view = to_tensor(train_view(pixels, self.inputs, rng), self.inputs["normalise"])
        return view, torch.tensor(self.targets[item], dtype=torch.float32), self.prompts[item]


def collate(samples: list[tuple[torch.Tensor, torch.Tensor, str]]) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    shapes = {tuple(view.shape) for view, _, _ in samples}
    if len(shapes) > 1:
        raise IqaError(
            f"a batch mixes image sizes {sorted(shapes)}: set input.train_crop, input.resize or train.batch_size 1"
        )
    views, targets, prompts = zip(*samples, strict=True)
    return torch.stack(views), torch.stack(targets), list(prompts)


def evaluation_views(folder: Path, name: str, inputs: dict, *, seed: int) -> torch.Tensor:
    """The views of one image whose predictions are averaged, as one batch (seeded per image name)."""
    pixels = load_pixels(folder, name, inputs)
    rng = np.random.default_rng([seed, *name.encode()])
    return torch.stack([to_tensor(view, inputs["normalise"]) for view in eval_views(pixels, inputs, rng)])
