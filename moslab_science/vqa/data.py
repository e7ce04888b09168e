"""Datasets of clips: seeded training samples and fixed evaluation views, with per-branch targets."""
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from moslab_science.vqa.config import DIMENSIONS
from moslab_science.vqa.inputs import InputMaker, Inputs
from moslab_science.vqa.table import VideoItem

TARGETS = (*DIMENSIONS, "overall")


class VideoSamples(Dataset):
    """Sample i of epoch e is drawn from a generator seeded with (seed, e, i) (training), or is the clip's
    evaluation view (`seed` None: uniformly spread frames, centred fragments), so a resumed run sees
    exactly the samples an uninterrupted one does."""

    def __init__(self, folder: Path, items: list[VideoItem], frame_counts: dict[str, int], make: InputMaker,
                 inputs: dict, *, seed: int | None):
        self.folder, self.items, self.frame_counts, self.make, self.inputs = folder, items, frame_counts, make, inputs
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[Inputs, dict[str, torch.Tensor], str]:
        item = self.items[index]
        rng = None if self.seed is None else np.random.default_rng([self.seed, self.epoch, index])
        inputs = self.make(self.folder, item.name, self.frame_counts[item.name], self.inputs, rng)
        targets = {name: torch.tensor(item.target(name), dtype=torch.float32) for name in TARGETS}
        return inputs, targets, item.prompt


def collate(samples: list[tuple[Inputs, dict[str, torch.Tensor], str]]) -> tuple[Inputs, dict, list[str]]:
    inputs, targets, prompts = zip(*samples, strict=True)
    return ({key: torch.stack([sample[key] for sample in inputs]) for key in inputs[0]},
            {key: torch.stack([sample[key] for sample in targets]) for key in targets[0]}, list(prompts))
