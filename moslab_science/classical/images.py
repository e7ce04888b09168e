"""Reading an image file as the grayscale (luma) array the classical baselines work on."""

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from moslab_science.errors import DomainError

# Below this size in either dimension the statistics of the second (half) scale mean nothing.
MIN_SIDE = 16


class BaselineInputError(DomainError):
    """An image or table the baselines cannot use; the message says what to fix."""


class UndefinedScoreError(BaselineInputError):
    """The method has no score for this image (e.g. NIQE on an image without enough non-flat patches)."""


def load_gray(path: str | Path) -> np.ndarray:
    """Luma (ITU-R 601, as MATLAB's rgb2gray) as float64 in 0..255, whatever the mode.

    Alpha is dropped, CMYK and palette images are converted; 16-bit grayscale is scaled to 0..255.
    """
    path = Path(path)
    try:
        with Image.open(path) as image:
            image.load()
            if image.mode in ("I;16", "I;16B", "I;16L", "I"):
                values = np.asarray(image, dtype=np.float64)
                gray = values * (255.0 / 65535.0)
            else:
                gray = np.asarray(image.convert("L"), dtype=np.float64)
    except FileNotFoundError:
        raise BaselineInputError(f"image file not found: {path}") from None
    except (UnidentifiedImageError, OSError) as error:
        raise BaselineInputError(f"{path.name} is not a readable image ({error})") from None
    if min(gray.shape) < MIN_SIDE:
        raise BaselineInputError(f"{path.name} is {gray.shape[1]}x{gray.shape[0]}; at least {MIN_SIDE} px a side")
    return gray
