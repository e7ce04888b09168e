"""Reading clips: every clip of a table is decoded once before training (damaged, truncated, zero-length,
too long or too large clips stop the run, all named at once); frames then come from moslab_science.ingest.video."""
from pathlib import Path

import numpy as np

from moslab_science.ingest.video import VIDEO_SUFFIXES, VideoProblem, probe_video, read_frames
from moslab_science.vqa.errors import VqaError


def scan_videos(folder: Path, names: list[str], *, max_seconds: float, max_pixels: int) -> dict[str, int]:
    """The decoded frame count of each named clip; VqaError listing every missing or unusable one."""
    counts, problems = {}, []
    for name in names:
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: no such file in {folder}")
            continue
        try:
            counts[name] = probe_video(path.read_bytes(), max_seconds=max_seconds, max_pixels=max_pixels).frame_count
        except VideoProblem as problem:
            problems.append(f"{name}: {problem}")
    if problems:
        raise VqaError(f"{len(problems)} of {len(names)} clip(s) cannot be used", problems=problems)
    return counts


def list_videos(folder: Path) -> list[str]:
    if not folder.is_dir():
        raise VqaError(f"{folder} is not a folder of videos")
    names = sorted(path.name for path in folder.iterdir() if path.suffix.lower() in VIDEO_SUFFIXES)
    if not names:
        raise VqaError(f"{folder} holds no {' or '.join(VIDEO_SUFFIXES)} files")
    return names


def frames_at(folder: Path, name: str, indices: list[int]) -> np.ndarray:
    """(T, H, W, 3) uint8 frames of one clip."""
    try:
        return read_frames(folder / name, indices)
    except VideoProblem as problem:
        raise VqaError(str(problem)) from None
