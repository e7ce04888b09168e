"""Model inputs from decoded frames: FAST-VQA / DOVER fragments and resized frames.

Fragments (Wu et al., FAST-VQA, ECCV 2022): each frame is cut into a grid x grid raster of cells; from every
cell one patch x patch mini-patch is taken at native resolution, and the mini-patches are spliced in their grid
order into a (grid x patch)-pixel square. The same offsets serve every frame of the clip, so each mini-patch
follows one region through time. Offsets are drawn from a seeded generator in training and centred in their
cells at evaluation. A frame smaller than the fragment is first upscaled (bilinear) so its shorter side fits it.
"""
import numpy as np
import torch
from torch.nn import functional as F

from moslab_science.iqa.transforms import NORMALISATION


def to_float(frames: np.ndarray) -> torch.Tensor:
    """(T, H, W, 3) uint8 -> (T, 3, H, W) float in 0..1."""
    return torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float().div_(255)


def normalise(frames: torch.Tensor, name: str) -> torch.Tensor:
    mean, std = NORMALISATION[name]
    return (frames - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


def fragment_offsets(height: int, width: int, *, grid: int, patch: int,
                     rng: np.random.Generator | None) -> list[tuple[int, int]]:
    """The top-left corner of each cell's mini-patch, row by row: random in the cell, or centred (rng None)."""
    tops = np.linspace(0, height, grid + 1).astype(int)
    lefts = np.linspace(0, width, grid + 1).astype(int)
    corners = []
    for row in range(grid):
        for column in range(grid):
            room_y = tops[row + 1] - tops[row] - patch
            room_x = lefts[column + 1] - lefts[column] - patch
            if rng is None:
                dy, dx = room_y // 2, room_x // 2
            else:
                dy, dx = int(rng.integers(0, room_y + 1)), int(rng.integers(0, room_x + 1))
            corners.append((int(tops[row] + dy), int(lefts[column] + dx)))
    return corners


def fragments(frames: torch.Tensor, *, grid: int, patch: int, rng: np.random.Generator | None) -> torch.Tensor:
    """(T, 3, H, W) frames -> (3, T, grid*patch, grid*patch), the technical branch's input."""
    size = grid * patch
    height, width = frames.shape[-2:]
    if min(height, width) < size:
        scale = size / min(height, width)
        height, width = max(size, round(height * scale)), max(size, round(width * scale))
        frames = F.interpolate(frames, size=(height, width), mode="bilinear", align_corners=False)
    out = frames.new_empty(frames.shape[0], 3, size, size)
    corners = fragment_offsets(height, width, grid=grid, patch=patch, rng=rng)
    for index, (top, left) in enumerate(corners):
        row, column = divmod(index, grid)
        out[:, :, row * patch : (row + 1) * patch, column * patch : (column + 1) * patch] = \
            frames[:, :, top : top + patch, left : left + patch]
    return out.transpose(0, 1)


def resized(frames: torch.Tensor, size: int) -> torch.Tensor:
    """(T, 3, H, W) -> (T, 3, size, size), the whole frame resized (aspect ratio not kept, as DOVER's
    aesthetic view), bilinear with antialiasing."""
    return F.interpolate(frames, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
