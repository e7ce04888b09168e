"""Probing and decoding video stimuli (plain Python, PyAV): what is accepted, what is refused and why."""
import numpy as np
import pytest

from moslab_science.ingest.video import VideoProblem, probe_video, read_frames, sample_frame_indices
from tests.videos import write_video

LIMITS = {"max_seconds": 60, "max_pixels": 4096 * 4096}


@pytest.mark.parametrize("suffix, codec", [(".mp4", "h264"), (".webm", "vp9")])
def test_a_clip_is_probed_frame_by_frame(tmp_path, suffix, codec):
    path = write_video(tmp_path / f"clip{suffix}", frames=12, fps=8, size=(64, 48))
    info = probe_video(path.read_bytes(), **LIMITS)
    assert (info.container, info.codec, info.width, info.height, info.frame_count) == (suffix[1:], codec, 64, 48, 12)
    assert info.fps == pytest.approx(8, rel=0.01) and info.duration_seconds == pytest.approx(1.5, rel=0.01)
    assert not info.variable_frame_rate


def test_variable_frame_rate_is_flagged_and_frames_still_count(tmp_path):
    times = [0, 0.1, 0.2, 0.5, 0.6, 1.0, 1.1, 1.2]
    info = probe_video(write_video(tmp_path / "vfr.mp4", frames=8, times=times).read_bytes(), **LIMITS)
    assert info.variable_frame_rate and info.frame_count == 8


def test_bad_videos_are_refused_with_the_reason(tmp_path):
    good = write_video(tmp_path / "clip.mp4", frames=30).read_bytes()
    with pytest.raises(VideoProblem, match="not a readable video"):
        probe_video(b"not a video at all", **LIMITS)
    with pytest.raises(VideoProblem, match="not a readable video|damaged or truncated|no frames"):
        probe_video(good[: len(good) // 2], **LIMITS)
    webm = write_video(tmp_path / "clip.webm", frames=30).read_bytes()
    with pytest.raises(VideoProblem, match="damaged or truncated|no frames|not a readable"):
        probe_video(webm[:200], **LIMITS)
    with pytest.raises(VideoProblem, match="limited to 2 s"):
        probe_video(good, max_seconds=2, max_pixels=LIMITS["max_pixels"])
    with pytest.raises(VideoProblem, match="exceed 1,000 pixels"):
        probe_video(good, max_seconds=60, max_pixels=1000)


def test_zero_length_clips_are_refused(tmp_path):
    with pytest.raises(VideoProblem, match="not a readable video"):
        probe_video(b"", **LIMITS)
    header_only = write_video(tmp_path / "one.webm", frames=1).read_bytes()
    with pytest.raises(VideoProblem, match="no frames|damaged or truncated|not a readable"):
        probe_video(header_only[:-40], **LIMITS)


def test_frame_sampling_is_reproducible_and_reads_the_frames_asked_for(tmp_path):
    path = write_video(tmp_path / "clip.webm", frames=16)
    assert sample_frame_indices(16, 4) == [2, 6, 10, 14]
    assert sample_frame_indices(16, 4, mode="random", seed=3) == sample_frame_indices(16, 4, mode="random", seed=3)
    assert sample_frame_indices(3, 6) == [0, 0, 1, 1, 2, 2]  # a short clip repeats frames
    frames = read_frames(path, [14, 2, 2])
    assert frames.shape == (3, 48, 64, 3) and frames.dtype == np.uint8
    assert frames[0].mean() > frames[1].mean() + 50  # later frames are brighter
    assert np.array_equal(frames[1], frames[2])
    with pytest.raises(VideoProblem, match="has no frame 40"):
        read_frames(path, [40])
