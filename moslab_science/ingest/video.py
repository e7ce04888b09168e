"""Video stimuli (MP4, WebM): probing every frame at import, and reproducible frame sampling for models.

Decoding goes through PyAV (FFmpeg's libraries). A clip is probed by decoding it to the end, so a
truncated or damaged file is refused at import rather than found by a rater or a training run.
Frame indices count decoded frames in presentation order; sampling by index makes the same frames
come back for a variable-frame-rate clip as for any other (such clips are accepted and flagged).
"""
import io
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

VIDEO_SUFFIXES = (".mp4", ".webm")
CONTAINERS = {"mov,mp4,m4a,3gp,3g2,mj2": "mp4", "matroska,webm": "webm"}
VFR_TOLERANCE = 0.02  # frame intervals differing by more than 2% from their median make a clip variable-rate


class VideoProblem(ValueError):
    """The bytes are not a video moslab can show and decode; the message says what is wrong."""


@dataclass(frozen=True)
class VideoInfo:
    container: str  # mp4 or webm
    codec: str
    width: int
    height: int
    frame_count: int
    fps: float  # average: frames / duration
    duration_seconds: float
    variable_frame_rate: bool


def probe_video(data: bytes, *, max_seconds: float, max_pixels: int) -> VideoInfo:
    """Decode the whole clip once; raise VideoProblem for anything a rater or a model could not use."""
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.FFmpegError, ValueError) as error:
        raise VideoProblem(f"not a readable video ({error})") from None
    with container:
        kind = CONTAINERS.get(container.format.name)
        if kind is None:
            raise VideoProblem(f"container {container.format.name!r}; use MP4 or WebM")
        if not container.streams.video:
            raise VideoProblem("the file has no video stream")
        stream = container.streams.video[0]
        declared = float(container.duration / av.time_base) if container.duration else None
        if declared is not None and declared > max_seconds:
            raise VideoProblem(f"{declared:.1f} s long; clips are limited to {max_seconds:g} s "
                               "(MOSLAB_MAX_VIDEO_SECONDS)")
        width, height = stream.codec_context.width, stream.codec_context.height
        if width * height > max_pixels:
            raise VideoProblem(f"{width}x{height} frames exceed {max_pixels:,} pixels")
        times = _decode_times(container, stream)
    if not times:
        raise VideoProblem("the clip has no frames (zero length)")
    intervals = np.diff(np.array(sorted(times)))
    step = float(np.median(intervals)) if intervals.size else 0.0
    duration = (times[-1] - times[0]) + step if step else 0.0
    if intervals.size and duration > max_seconds:
        raise VideoProblem(f"{duration:.1f} s long; clips are limited to {max_seconds:g} s (MOSLAB_MAX_VIDEO_SECONDS)")
    variable = bool(intervals.size and step > 0 and np.max(np.abs(intervals - step)) > VFR_TOLERANCE * step)
    fps = len(times) / duration if duration else float(stream.average_rate or 0)
    return VideoInfo(container=kind, codec=stream.codec_context.name, width=width, height=height,
                     frame_count=len(times), fps=round(fps, 4), duration_seconds=round(duration, 4),
                     variable_frame_rate=variable)


def _decode_times(container, stream) -> list[float]:
    times = []
    try:
        for frame in container.decode(stream):
            if frame.time is not None:
                times.append(float(frame.time))
            else:
                times.append(float(len(times)))
    except (av.FFmpegError, ValueError) as error:
        raise VideoProblem(f"decoding stopped after {len(times)} frame(s): the file is damaged or truncated "
                           f"({error})") from None
    return times


def sample_frame_indices(frame_count: int, count: int, *, mode: str = "uniform", seed: int = 0) -> list[int]:
    """`count` frame indices of a clip: evenly spread (the middle of `count` equal segments), or one seeded
    random frame per segment (``random``, for training). A short clip repeats frames rather than fail."""
    if frame_count < 1 or count < 1:
        raise ValueError(f"cannot sample {count} frame(s) from a clip of {frame_count}")
    edges = np.linspace(0, frame_count, count + 1)
    if mode == "uniform":
        picks = (edges[:-1] + edges[1:]) / 2
    elif mode == "random":
        rng = np.random.default_rng(seed)
        picks = edges[:-1] + rng.random(count) * (edges[1:] - edges[:-1])
    else:
        raise ValueError(f"unknown sampling mode {mode!r}: use uniform or random")
    return [min(frame_count - 1, int(pick)) for pick in picks]


def read_frames(path: Path, indices: list[int]) -> np.ndarray:
    """The frames at `indices` (decoded order, repeats allowed) as a (T, H, W, 3) uint8 RGB array."""
    wanted = sorted(set(indices))
    found: dict[int, np.ndarray] = {}
    try:
        with av.open(str(path), mode="r") as container:
            for index, frame in enumerate(container.decode(container.streams.video[0])):
                if index in wanted:
                    found[index] = frame.to_ndarray(format="rgb24")
                if index >= wanted[-1]:
                    break
    except (av.FFmpegError, ValueError, IndexError) as error:
        raise VideoProblem(f"{Path(path).name}: cannot decode ({error})") from None
    missing = [index for index in wanted if index not in found]
    if missing:
        raise VideoProblem(f"{Path(path).name}: has no frame {missing[0]} (only {len(found)} decoded)")
    return np.stack([found[index] for index in indices])
