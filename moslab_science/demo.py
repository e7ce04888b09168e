"""An AU-IQA-style demo study: real photographs, degraded three ways, restored by classical enhancers.

Plain Python (NumPy, Pillow, scikit-image); writes PNG files and a manifest the importer reads.
The photographs ship with scikit-image and are public domain or CC0 (NASA; Stefan van der Walt).
"""
import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter
from skimage import data, exposure, restoration

SOURCES: dict[str, Callable[[], np.ndarray]] = {
    "astronaut": data.astronaut,
    "coffee": data.coffee,
    "chelsea": data.chelsea,
    "rocket": data.rocket,
    "hubble": data.hubble_deep_field,
}
CROP = (320, 480)  # height, width: small enough to be shown 1:1 on any laptop


@dataclass(frozen=True)
class DemoStimulus:
    file: str
    source_content: str
    degradation: str
    enhancer: str
    reference: str


def _to_float(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float64) / 255.0


def _to_image(array: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(np.rint(array * 255.0), 0, 255).astype(np.uint8))


def _downsample(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    return image.resize((image.width // 3, image.height // 3), Image.Resampling.BOX)


def _darken(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    return _to_image(_to_float(image) ** 1.8 * 0.45)


def _add_noise(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    array = _to_float(image)
    return _to_image(array + rng.normal(0.0, 20 / 255, size=array.shape))


def _upscale(method: Image.Resampling, sharpen: bool) -> Callable[[Image.Image, tuple[int, int]], Image.Image]:
    def enhance(image: Image.Image, size: tuple[int, int]) -> Image.Image:
        restored = image.resize(size, method)
        return restored.filter(ImageFilter.UnsharpMask(radius=2, percent=120, threshold=2)) if sharpen else restored

    return enhance


def _gamma(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    return _to_image((_to_float(image) / 0.45).clip(0, 1) ** (1 / 1.8))


def _clahe(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    return _to_image(exposure.equalize_adapthist(_to_float(image), clip_limit=0.02))


def _nl_means(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    array = _to_float(image)
    return _to_image(restoration.denoise_nl_means(array, h=0.07, patch_size=5, patch_distance=6,
                                                  channel_axis=-1, fast_mode=True))


def _bilateral(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    return _to_image(restoration.denoise_bilateral(_to_float(image), sigma_color=0.1, sigma_spatial=2,
                                                   channel_axis=-1))


DEGRADATIONS = {
    "downsampling": (_downsample, {"bicubic": _upscale(Image.Resampling.BICUBIC, False),
                                   "lanczos_sharpen": _upscale(Image.Resampling.LANCZOS, True)}),
    "low_brightness": (_darken, {"gamma": _gamma, "clahe": _clahe}),
    "gaussian_noise": (_add_noise, {"nl_means": _nl_means, "bilateral": _bilateral}),
}


def _source_image(name: str) -> Image.Image:
    array = SOURCES[name]()
    height, width = min(CROP[0], array.shape[0]), min(CROP[1], array.shape[1])  # chelsea is 300 x 451
    top, left = (array.shape[0] - height) // 2, (array.shape[1] - width) // 2
    return Image.fromarray(array[top : top + height, left : left + width, :3])


def build_demo_images(folder: Path, *, sources: list[str] | None = None, seed: int = 0) -> list[DemoStimulus]:
    """Write reference and enhanced PNGs plus `manifest.csv` into `folder`; return what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    written: list[DemoStimulus] = []
    for source in sources or list(SOURCES):
        original = _source_image(source)
        reference = f"{source}__reference.png"
        original.save(folder / reference)
        written.append(DemoStimulus(reference, source, "none", "none", ""))
        for degradation, (degrade, enhancers) in DEGRADATIONS.items():
            degraded = degrade(original, rng)
            for enhancer, enhance in enhancers.items():
                name = f"{source}__{degradation}__{enhancer}.png"
                enhance(degraded, original.size).save(folder / name)
                written.append(DemoStimulus(name, source, degradation, enhancer, reference))
    with (folder / "manifest.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "source_content", "reference", "group_degradation", "group_enhancer"])
        for item in written:
            writer.writerow([item.file, item.source_content, item.reference, item.degradation, item.enhancer])
    return written
