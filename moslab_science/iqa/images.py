"""Reading stimuli as 8-bit RGB, saying what was converted and refusing what cannot be used.

Grayscale and palette images are replicated to RGB; 16-bit images are scaled to 8 bits; CMYK is converted
(no colour management); images with transparency are composited over mid-grey, the background the rating
page shows them on. Damaged, truncated, multi-frame and over-large images are refused.
"""
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

from moslab_science.ingest.images import ImageProblem, inspect_image
from moslab_science.iqa.errors import IqaError

MID_GREY = (128, 128, 128)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}


def read_rgb(path: Path) -> tuple[np.ndarray, str]:
    """HxWx3 uint8 pixels and the conversion applied ("" when none)."""
    try:
        with Image.open(path) as image:
            image.load()
            return _to_rgb(image)
    except FileNotFoundError:
        raise IqaError(f"image {path} does not exist") from None
    except OSError as error:
        raise IqaError(f"image {path} cannot be read ({error})") from None


def _to_rgb(image: Image.Image) -> tuple[np.ndarray, str]:
    mode = image.mode
    if mode == "RGB":
        return np.asarray(image), ""
    if mode.startswith("I;16") or mode == "I":
        grey = np.asarray(image, dtype=np.float64) * (255.0 / 65535.0)
        return np.repeat(np.clip(grey.round(), 0, 255).astype(np.uint8)[:, :, None], 3, axis=2), "16-bit to 8-bit"
    if mode == "F":
        raise IqaError("32-bit floating-point images are not supported: export the image as 8- or 16-bit")
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        background = Image.new("RGB", image.size, MID_GREY)
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return np.asarray(background), "alpha composited over mid-grey"
    conversion = {"L": "grayscale to RGB", "1": "grayscale to RGB", "P": "palette to RGB", "CMYK": "CMYK to RGB"}
    return np.asarray(image.convert("RGB")), conversion.get(mode, f"{mode} to RGB")


def scan_images(folder: Path, names: list[str], *, max_pixels: int) -> Counter:
    """Check every image fully before a run starts; raise IqaError listing every problem at once, else
    return how many images each conversion will touch."""
    problems, conversions = [], Counter()
    for name in names:
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: no such file in {folder}")
            continue
        try:
            inspect_image(path.read_bytes(), max_pixels=max_pixels)
            _, conversion = read_rgb(path)
        except ImageProblem as problem:
            hint = " (raise data.max_pixels or downscale it)" if "pixels" in str(problem) else ""
            problems.append(f"{name}: {problem}{hint}")
            continue
        except IqaError as error:
            problems.append(f"{name}: {error}")
            continue
        if conversion:
            conversions[conversion] += 1
    if problems:
        raise IqaError(f"{len(problems)} of {len(names)} images cannot be used", problems=problems)
    return conversions


def list_images(folder: Path) -> list[str]:
    """Image files directly in `folder`, sorted (what `iqa predict` scores)."""
    if not folder.is_dir():
        raise IqaError(f"image folder {folder} does not exist")
    names = sorted(p.name for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not names:
        raise IqaError(f"image folder {folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return names
