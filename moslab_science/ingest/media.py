"""One stimulus file, image or video, checked by its kind: what the import stores about it.

The kind follows the file's suffix: ``.mp4`` and ``.webm`` are videos (probed frame by frame with
PyAV), anything else must be an image. The bytes are never re-encoded either way.
"""
import hashlib
from dataclasses import dataclass

from moslab_science.ingest.images import ImageProblem, inspect_image
from moslab_science.ingest.video import VIDEO_SUFFIXES, VideoInfo, VideoProblem, probe_video

IMAGE, VIDEO = "image", "video"


class MediaProblem(ValueError):
    """The file is not an image or video moslab accepts; the message says why."""


@dataclass(frozen=True)
class MediaInfo:
    media_type: str  # image or video
    media_format: str  # JPEG, PNG... for an image; mp4 or webm for a video
    width: int
    height: int
    sha256: str
    size_bytes: int
    video: VideoInfo | None = None

    def stimulus_fields(self) -> dict:
        """The Stimulus fields this fills (``image_format`` holds a video's container)."""
        fields = {"media_type": self.media_type, "image_format": self.media_format, "width": self.width,
                  "height": self.height, "sha256": self.sha256, "size_bytes": self.size_bytes}
        if self.video is not None:
            fields.update(frame_count=self.video.frame_count, fps=self.video.fps,
                          duration_seconds=self.video.duration_seconds, codec=self.video.codec,
                          variable_frame_rate=self.video.variable_frame_rate)
        return fields


def is_video_name(name: str) -> bool:
    return name.lower().endswith(VIDEO_SUFFIXES)


def inspect_media(name: str, data: bytes, *, max_pixels: int, max_seconds: float) -> MediaInfo:
    """Check `data` as the kind its `name` says; raise MediaProblem with the reason."""
    if not is_video_name(name):
        try:
            image = inspect_image(data, max_pixels=max_pixels)
        except ImageProblem as problem:
            raise MediaProblem(str(problem)) from None
        return MediaInfo(IMAGE, image.image_format, image.width, image.height, image.sha256, image.size_bytes)
    sha256, size = hashlib.sha256(data).hexdigest(), len(data)
    if not data:
        raise MediaProblem("the video file is empty (zero length)")
    try:
        video = probe_video(data, max_seconds=max_seconds, max_pixels=max_pixels)
    except VideoProblem as problem:
        raise MediaProblem(str(problem)) from None
    expected = name.lower().rsplit(".", 1)[-1]
    if video.container != expected:
        raise MediaProblem(f"the file is a {video.container.upper()} video; name it .{video.container}, "
                           f"not .{expected}")
    return MediaInfo(VIDEO, video.container, video.width, video.height, sha256, size, video)
