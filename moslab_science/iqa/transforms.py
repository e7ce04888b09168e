"""Views of an image for training and evaluation, at native resolution unless the paper resizes.

Images are uint8 HxWx3 NumPy arrays until `to_tensor`; every random choice takes an explicit
`numpy.random.Generator`, so a sample's crop depends only on (seed, epoch, index), not on worker order.
"""
import math

import numpy as np
import torch
from PIL import Image

from moslab_science.iqa.errors import IqaError

EVAL_SAMPLINGS = ("grid", "random", "centre", "five")
NORMALISATION = {
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "tf": ((127.0 / 255,) * 3, (128.0 / 255,) * 3),  # EfficientNet-Lite's (x - 127) / 128
    "half": ((0.5,) * 3, (0.5,) * 3),  # MANIQA's (x - 0.5) / 0.5
    "clip": ((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)),  # OpenAI CLIP's
}


def resize(pixels: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    """Resize to (width, height) with bilinear interpolation (torchvision's default), or leave as is."""
    if size is None:
        return pixels
    return np.asarray(Image.fromarray(pixels).resize(tuple(size), Image.Resampling.BILINEAR))


def random_crop(pixels: np.ndarray, crop: int | None, rng: np.random.Generator) -> np.ndarray:
    if not crop:
        return pixels
    height, width = pixels.shape[:2]
    top = int(rng.integers(0, height - crop + 1))
    left = int(rng.integers(0, width - crop + 1))
    return pixels[top : top + crop, left : left + crop]


def train_view(pixels: np.ndarray, inputs: dict, rng: np.random.Generator) -> np.ndarray:
    view = random_crop(pixels, inputs["train_crop"], rng)
    if rng.random() < inputs["flip"]:
        view = view[:, ::-1]
    return view


def eval_views(pixels: np.ndarray, inputs: dict, rng: np.random.Generator) -> list[np.ndarray]:
    """The crops whose predictions are averaged: the whole image, the centre, an even grid, seeded random
    crops, or "five": the four corners and the centre (MANIQA's five-point crop; `eval_patches` is ignored)."""
    crop, count, sampling = inputs["eval_crop"], inputs["eval_patches"], inputs["eval_sampling"]
    if not crop:
        return [pixels]
    height, width = pixels.shape[:2]
    if sampling == "centre":
        corners = [((height - crop) // 2, (width - crop) // 2)]
    elif sampling == "random":
        corners = [(int(rng.integers(0, height - crop + 1)), int(rng.integers(0, width - crop + 1)))
                   for _ in range(count)]
    elif sampling == "five":
        corners = [(0, 0), (0, width - crop), (height - crop, 0), (height - crop, width - crop),
                   ((height - crop) // 2, (width - crop) // 2)]
    elif sampling == "grid":
        corners = _grid_corners(height, width, crop, count)
    else:
        raise IqaError(f"unknown input.eval_sampling {sampling!r}: use one of {', '.join(EVAL_SAMPLINGS)}")
    return [pixels[top : top + crop, left : left + crop] for top, left in corners]


def _grid_corners(height: int, width: int, crop: int, count: int) -> list[tuple[int, int]]:
    """`count` crops from an evenly spaced rows x columns grid shaped like the image, from corner to corner
    (when the grid has more cells than `count`, evenly spread ones among them)."""
    columns = max(1, round(math.sqrt(count * width / height)))
    rows = math.ceil(count / columns)
    tops = np.linspace(0, height - crop, rows).round().astype(int) if rows > 1 else [(height - crop) // 2]
    lefts = np.linspace(0, width - crop, columns).round().astype(int) if columns > 1 else [(width - crop) // 2]
    cells = [(int(top), int(left)) for top in tops for left in lefts]
    return [cells[index] for index in np.linspace(0, len(cells) - 1, count).round().astype(int)]


def to_tensor(pixels: np.ndarray, normalise: str) -> torch.Tensor:
    mean, std = NORMALISATION[normalise]
    tensor = torch.from_numpy(np.array(pixels)).permute(2, 0, 1).float().div_(255)  # a writable copy
    return (tensor - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)
