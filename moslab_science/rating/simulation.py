"""Simulated annotators: plain Python models of how people vote, for demos and tests.

Each rater has a bias (shifts every vote) and an inconsistency (noise of each vote), as in the
MLE subject model. Careless raters vote at random; adversarial raters invert the scale.
"""
from dataclasses import dataclass

import numpy as np
from skimage.metrics import structural_similarity

NORMAL, CARELESS, ADVERSARIAL = "normal", "careless", "adversarial"


@dataclass(frozen=True)
class SimulatedRater:
    name: str
    kind: str
    bias: float
    inconsistency: float


def make_raters(
    count: int, *, careless_share: float = 0.0, adversarial_share: float = 0.0, seed: int = 0, prefix: str = "sim"
) -> list[SimulatedRater]:
    if not 0 <= careless_share + adversarial_share <= 1:
        raise ValueError("careless and adversarial shares must add up to at most 1")
    rng = np.random.default_rng(seed)
    careless = round(count * careless_share)
    adversarial = round(count * adversarial_share)
    kinds = [CARELESS] * careless + [ADVERSARIAL] * adversarial + [NORMAL] * (count - careless - adversarial)
    return [
        SimulatedRater(f"{prefix}-{index + 1:02d}", kind, float(rng.normal(0, 0.3)), float(rng.uniform(0.3, 0.8)))
        for index, kind in enumerate(kinds)
    ]


def latent_quality(image: np.ndarray, reference: np.ndarray | None, *, low: float, high: float) -> float:
    """A plausible true quality: SSIM to the reference mapped onto the scale; the top for references."""
    if reference is None:
        return low + 0.9 * (high - low)
    similarity = structural_similarity(image, reference, channel_axis=-1, data_range=255)
    return low + (high - low) * float(np.clip(similarity, 0, 1)) ** 2


def simulated_vote(
    rater: SimulatedRater, quality: float, *, low: float, high: float, rng: np.random.Generator
) -> int:
    """One integer vote on [low, high]."""
    if rater.kind == CARELESS:
        return int(rng.integers(int(low), int(high) + 1))
    value = quality + rater.bias + rng.normal(0, rater.inconsistency)
    if rater.kind == ADVERSARIAL:
        value = low + high - value
    return int(np.clip(np.rint(value), low, high))
