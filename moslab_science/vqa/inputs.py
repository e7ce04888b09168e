"""A clip's model inputs: which frames each branch sees and how they are cut, seeded for training.

Frames are sampled by index with moslab_science.ingest.video.sample_frame_indices: one frame per equal segment of
the clip, at a random place in the segment in training (a generator seeded with (seed, epoch, sample)) and
at its middle at evaluation. All frames a clip needs are decoded in one pass.
"""
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from moslab_science.ingest.video import sample_frame_indices
from moslab_science.vqa.clips import frames_at
from moslab_science.vqa.fragments import fragments, normalise, resized, to_float

Inputs = dict[str, torch.Tensor]


def _indices(frame_count: int, count: int, rng: np.random.Generator | None) -> list[int]:
    if rng is None:
        return sample_frame_indices(frame_count, count, mode="uniform")
    return sample_frame_indices(frame_count, count, mode="random", seed=int(rng.integers(2**31)))


def _read(folder: Path, name: str, frame_count: int, counts: dict[str, int],
          rng: np.random.Generator | None) -> dict[str, torch.Tensor]:
    """Each view's frames as (T, 3, H, W) floats in 0..1, from one decoding pass."""
    picks = {view: _indices(frame_count, count, rng) for view, count in counts.items()}
    wanted = sorted({index for indices in picks.values() for index in indices})
    frames = to_float(frames_at(folder, name, wanted))
    where = {index: position for position, index in enumerate(wanted)}
    return {view: frames[[where[index] for index in indices]] for view, indices in picks.items()}


def aigc_vqa_inputs(folder: Path, name: str, frame_count: int, cfg: dict, rng: np.random.Generator | None) -> Inputs:
    views = _read(folder, name, frame_count, {"fragments": cfg["technical_frames"],
                                              "aesthetic": cfg["aesthetic_frames"],
                                              "alignment": cfg["alignment_frames"]}, rng)
    norms = cfg["normalise"]
    technical = normalise(views["fragments"], norms["technical"])  # per-pixel: normalising first is the same
    return {
        "fragments": fragments(technical, grid=cfg["fragment_grid"], patch=cfg["fragment_patch"], rng=rng),
        "aesthetic": normalise(resized(views["aesthetic"], cfg["aesthetic_size"]), norms["aesthetic"]),
        "alignment": normalise(resized(views["alignment"], cfg["alignment_size"]), norms["alignment"]),
    }


def clip_video_inputs(folder: Path, name: str, frame_count: int, cfg: dict, rng: np.random.Generator | None) -> Inputs:
    frames = _read(folder, name, frame_count, {"frames": cfg["frames"]}, rng)["frames"]
    return {"frames": normalise(resized(frames, cfg["size"]), cfg["normalise"])}


InputMaker = Callable[[Path, str, int, dict, np.random.Generator | None], Inputs]
