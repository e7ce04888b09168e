"""Checking that bytes are an image we can show pixel-exact, without ever re-encoding them."""
import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image

ACCEPTED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "BMP": "bmp", "TIFF": "tif"}


class ImageProblem(ValueError):
    """The bytes are not an image moslab accepts; the message says why."""


@dataclass(frozen=True)
class ImageInfo:
    image_format: str
    width: int
    height: int
    sha256: str
    size_bytes: int


def inspect_image(data: bytes, *, max_pixels: int, first_picture_of_mpo: bool = False) -> ImageInfo:
    """Identify, size-check and fully decode `data` once (one parse of the header, then every pixel: a damaged
    or truncated file is refused); raise ImageProblem with the reason.

    `first_picture_of_mpo` accepts a multi-picture JPEG (MPO, what many phone cameras write) as its first
    picture, an ordinary JPEG: what model training reads of it."""
    if not data:
        raise ImageProblem("the file is empty")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            image_format, (width, height) = image.format, image.size
            frames = getattr(image, "n_frames", 1)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageProblem(
                f"the image is too large to decode safely (more than {max_pixels:,} pixels)"
            ) from None
        except Exception:  # PIL raises many kinds for non-images
            raise ImageProblem(
                "not an image moslab can read (accepted: " + ", ".join(sorted(ACCEPTED_FORMATS)) + ")"
            ) from None
    with image:
        first_picture = first_picture_of_mpo and image_format == "MPO"
        if image_format not in ACCEPTED_FORMATS and not first_picture:
            raise ImageProblem(f"format {image_format} is not accepted (use {', '.join(sorted(ACCEPTED_FORMATS))})")
        if width * height > max_pixels:
            raise ImageProblem(
                f"{width}x{height} is {width * height:,} pixels, more than the limit of {max_pixels:,} "
                "(MOSLAB_MAX_IMAGE_PIXELS)"
            )
        if frames != 1 and not first_picture:
            raise ImageProblem(f"the file holds {frames} frames; import single images only")
        try:
            if frames != 1:
                image.seek(0)  # counting the frames moved past the first picture
            image.load()
        except Exception as error:
            raise ImageProblem(f"the image data is damaged or truncated ({error})") from None
    return ImageInfo(
        image_format=image_format,
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
    )
