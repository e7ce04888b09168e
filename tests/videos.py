"""Short synthetic videos written with PyAV (H.264 in MP4, VP9 in WebM) for the video tests."""
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

CODECS = {".mp4": "libx264", ".webm": "libvpx-vp9"}


def write_video(path: Path, *, frames: int = 12, fps: int = 8, size=(64, 48), seed: int = 0,
                times: list[float] | None = None) -> Path:
    """A clip of moving noise whose brightness rises frame by frame; `times` (seconds) makes it variable-rate."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    width, height = size
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(CODECS[path.suffix], rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        for index in range(frames):
            level = 30 + 190 * index / max(1, frames - 1)
            pixels = np.clip(rng.normal(level, 20, size=(height, width, 3)), 0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = round(1000 * (times[index] if times else index / fps))
            frame.time_base = Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
