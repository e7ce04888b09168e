"""An AU-IQA-style demo study: real photographs, degraded three ways at four levels, restored by classical enhancers.

Plain Python (NumPy, Pillow, scikit-image); writes PNG files and a manifest the importer reads. Every
degradation is generated here from the photographs, so the repository ships no stimulus. Ten sources x
(1 reference + 3 degradations x 4 levels x (the degraded image + 2 enhancers)) = 370 stimuli: a 7:1:2 split
grouped by photograph tests two photographs, 74 images, enough for rank groups to mean something.

The photographs ship with scikit-image (``skimage.data``); each is public domain or CC0, as its
docstring there records: astronaut (NASA, public domain), coffee (Rachel Michetti, CC0), chelsea
(Stefan van der Walt, CC0), rocket (SpaceX, public domain), hubble_deep_field (NASA, public domain),
retina (Wikimedia Commons, CC0), camera (Lav Varshney, CC0), brick and gravel (cc0textures.com, CC0),
grass (DeviantArt user linolafett, CC0).
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
    "retina": data.retina,
    "camera": data.camera,
    "brick": data.brick,
    "grass": data.grass,
    "gravel": data.gravel,
}
CROP = (320, 480)  # height, width: small enough to be shown 1:1 on any laptop
LEVELS = (1, 2, 3, 4)  # 1 mild .. 4 severe
UNRESTORED = "none"


@dataclass(frozen=True)
class DemoStimulus:
    file: str
    source_content: str
    degradation: str
    enhancer: str
    reference: str
    level: str = ""


def _to_float(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float64) / 255.0


def _to_image(array: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(np.rint(array * 255.0), 0, 255).astype(np.uint8))


def _downsample(image: Image.Image, level: int, rng: np.random.Generator) -> Image.Image:
    factor = (2, 3, 4, 6)[level - 1]
    return image.resize((image.width // factor, image.height // factor), Image.Resampling.BOX)


def _darken(image: Image.Image, level: int, rng: np.random.Generator) -> Image.Image:
    gamma, gain = ((1.3, 0.7), (1.6, 0.55), (1.8, 0.45), (2.2, 0.3))[level - 1]
    return _to_image(_to_float(image) ** gamma * gain)


def _add_noise(image: Image.Image, level: int, rng: np.random.Generator) -> Image.Image:
    array = _to_float(image)
    return _to_image(array + rng.normal(0.0, (10, 20, 30, 45)[level - 1] / 255, size=array.shape))


def _upscale(method: Image.Resampling, sharpen: bool) -> Callable[[Image.Image, tuple[int, int]], Image.Image]:
    def enhance(image: Image.Image, size: tuple[int, int]) -> Image.Image:
        restored = image.resize(size, method)
        return restored.filter(ImageFilter.UnsharpMask(radius=2, percent=120, threshold=2)) if sharpen else restored

    return enhance


def _gamma(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """A blind gamma correction: the gamma that brings the mean brightness to 0.45."""
    array = _to_float(image).clip(1 / 255, 1)
    return _to_image(array ** (np.log(0.45) / np.log(array.mean())))


def _clahe(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    return _to_image(exposure.equalize_adapthist(_to_float(image), clip_limit=0.02))


def _nl_means(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    array = _to_float(image)
    steps = np.diff(array, axis=1)  # the noise of neighbouring pixels, robustly (MAD), image structure mostly aside
    sigma = float(np.median(np.abs(steps - np.median(steps))) / 0.6745 / np.sqrt(2))
    return _to_image(restoration.denoise_nl_means(array, h=0.8 * sigma, sigma=sigma, patch_size=5, patch_distance=6,
                                                  channel_axis=-1, fast_mode=True))


def _median(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    return image.filter(ImageFilter.MedianFilter(3))


def _unrestored(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The degraded image as it is (a smaller one brought back to the source size by nearest neighbours)."""
    return image if image.size == size else image.resize(size, Image.Resampling.NEAREST)


DEGRADATIONS = {
    "downsampling": (_downsample, {UNRESTORED: _unrestored, "bicubic": _upscale(Image.Resampling.BICUBIC, False),
                                   "lanczos_sharpen": _upscale(Image.Resampling.LANCZOS, True)}),
    "low_brightness": (_darken, {UNRESTORED: _unrestored, "gamma": _gamma, "clahe": _clahe}),
    "gaussian_noise": (_add_noise, {UNRESTORED: _unrestored, "nl_means": _nl_means, "median": _median}),
}


def _source_image(name: str) -> Image.Image:
    array = SOURCES[name]()
    if array.ndim == 2:  # the grey photographs (camera, brick, grass, gravel) as RGB
        array = np.repeat(array[:, :, None], 3, axis=2)
    height, width = min(CROP[0], array.shape[0]), min(CROP[1], array.shape[1])  # chelsea is 300 x 451
    top, left = (array.shape[0] - height) // 2, (array.shape[1] - width) // 2
    return Image.fromarray(array[top : top + height, left : left + width, :3])


def build_demo_images(folder: Path, *, sources: list[str] | None = None, levels: tuple[int, ...] = LEVELS,
                      seed: int = 0) -> list[DemoStimulus]:
    """Write reference and degraded/enhanced PNGs plus `manifest.csv` into `folder`; return what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    written: list[DemoStimulus] = []
    for source in sources or list(SOURCES):
        original = _source_image(source)
        reference = f"{source}__reference.png"
        original.save(folder / reference)
        written.append(DemoStimulus(reference, source, "none", "none", ""))
        for degradation, (degrade, enhancers) in DEGRADATIONS.items():
            for level in levels:
                degraded = degrade(original, level, rng)
                for enhancer, enhance in enhancers.items():
                    name = f"{source}__{degradation}-{level}__{enhancer}.png"
                    enhance(degraded, original.size).save(folder / name, compress_level=1)
                    written.append(DemoStimulus(name, source, degradation, enhancer, reference, str(level)))
    with (folder / "manifest.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "source_content", "reference", "group_degradation", "group_enhancer", "group_level"])
        for item in written:
            writer.writerow([item.file, item.source_content, item.reference, item.degradation, item.enhancer,
                             item.level])
    return written
