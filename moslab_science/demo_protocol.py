"""The demo study's rating protocol: the AU-IQA deduction guideline illustrated with demo images, and the
training, qualification and gold images a newcomer meets before rating (plain Python; writes PNG files).

Each quality image is a demo photograph with one known degradation; its reference score is what the
default guideline gives for it (5 minus severity points times the aspect's weight, at least 1), and its
explanation says which deductions lead there, so the training feedback teaches the guideline.
"""
import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from moslab_science.demo import _add_noise, _darken, _downsample, _source_image, _upscale

EXAMPLES = [
    {"stimulus": "coffee__reference.png", "caption": "The reference photograph: nothing to deduct, 5 (Excellent)."},
    {"stimulus": "rocket__downsampling__bicubic.png",
     "caption": "Soft edges after bicubic upscaling: resolution moderate (1 point x 1.5), so 3.5."},
    {"stimulus": "astronaut__gaussian_noise__bilateral.png",
     "caption": "Grain left in flat areas after denoising: noise slight (0.5 point), so 4.5."},
    {"stimulus": "chelsea__low_brightness__clahe.png",
     "caption": "Brightened but patchy contrast: brightness slight and distortion slight (0.5 + 0.75), so 3.75."},
]
PROTOCOL_NOTE = "Demo: the AU-IQA deduction guideline with examples, training, qualification and gold items."
GOLD_EVERY = 10


@dataclass(frozen=True)
class QualityImage:
    file: str
    source: str  # the demo photograph it is made from
    kind: str  # training, qualification or gold
    reference_score: float
    explanation: str
    make: Callable[[Image.Image, np.random.Generator], Image.Image]

    def record(self) -> dict:
        return {"file": self.file, "kind": self.kind, "reference_score": self.reference_score, "tolerance": 1.0,
                "explanation": self.explanation}


def _mirrored(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The clean photograph, mirrored: a new image (each image is in a study once) of the same quality."""
    return ImageOps.mirror(image)


# The demo's degradations at the strengths these items were made with (demo.py grades them 1 to 4).
NOISE_LEVEL, DARK_LEVEL, DOWNSAMPLE_LEVEL = 2, 3, 2


def _noisy(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    return _add_noise(image, NOISE_LEVEL, rng)


def _dark(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    return _darken(image, DARK_LEVEL, rng)


def _low_resolution(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    return _upscale(Image.Resampling.NEAREST, False)(_downsample(image, DOWNSAMPLE_LEVEL, rng), image.size)


def _noisy_and_dark(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    return _noisy(_dark(image, rng), rng)


QUALITY_IMAGES = (
    QualityImage("qc-training-coffee-noise.png", "coffee", "training", 4.0,
                 "Visible grain everywhere: noise moderate, 1 point, so 4 (Good).", _noisy),
    QualityImage("qc-training-rocket-dark.png", "rocket", "training", 3.0,
                 "Much too dark, shadows lost: brightness severe, 2 points, so 3 (Fair).", _dark),
    QualityImage("qc-qualification-astronaut.png", "astronaut", "qualification", 5.0,
                 "Nothing to deduct: 5 (Excellent).", _mirrored),
    QualityImage("qc-qualification-chelsea-blocky.png", "chelsea", "qualification", 2.0,
                 "Blocky pixels from a low resolution: resolution severe, 2 points x 1.5, so 2 (Poor).",
                 _low_resolution),
    QualityImage("qc-qualification-hubble-noisy-dark.png", "hubble", "qualification", 3.0,
                 "Dark and grainy: brightness moderate and noise moderate, 1 + 1 points, so 3 (Fair).",
                 _noisy_and_dark),
    QualityImage("qc-gold-coffee.png", "coffee", "gold", 5.0, "The clean photograph: 5 (Excellent).", _mirrored),
    QualityImage("qc-gold-rocket-blocky.png", "rocket", "gold", 2.0,
                 "Resolution severe, 2 points x 1.5: 2 (Poor).", _low_resolution),
)


def demo_protocol_config() -> dict:
    """What the demo publishes over the defaults: the illustrated examples and a gold image every 10."""
    return {"examples": EXAMPLES, "gold_every": GOLD_EVERY}


def build_quality_images(folder: Path, *, seed: int = 0) -> list[dict]:
    """Write the quality images and their `manifest.csv` into `folder`; return their quality-item records."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for item in QUALITY_IMAGES:
        item.make(_source_image(item.source), rng).save(folder / item.file)
    with (folder / "manifest.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "source_content"])
        writer.writerows([item.file, f"qc-{item.source}"] for item in QUALITY_IMAGES)
    return [item.record() for item in QUALITY_IMAGES]
