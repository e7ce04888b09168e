"""Level targets of the LMM scorers: Q-Align's equal-width MOS bins and DeQA-Score's soft level distributions.

Levels are 1..5 (bad, poor, fair, good, excellent); a distribution is indexed bad first. With
``train.target_scaling = "levels"`` the training part's MOS range is mapped onto 1..5, so a target t in [1, 5]
falls in the bin of width 0.8 that holds it (upper edges inclusive; Q-Align's and DeQA-Score's ``get_level``, and
moslab_science/datasets/formats/levels.py). DeQA-Score (You et al., CVPR 2025; build_soft_labels/gen_soft_label.py of
zhiyuanyou/DeQA-Score) turns an image's mean and standard deviation on that scale into a distribution: a Gaussian
discretised on the five levels, then affinely adjusted (alpha p + beta, negatives cut to 0) so that it sums to 1
and its expectation is the mean; when the standard deviation is under 0.2 or the adjusted expectation misses the
mean by more than 0.1, the mean is split between its two neighbouring levels instead. Two differences from the
released code: the adjusted distribution is renormalised after negatives are cut, and at a mean of exactly 3 the
adjustment takes its limit (the released formula divides 0 by its 1e-9 guard there and returns the uniform
distribution, whatever the standard deviation).
"""
import math

import numpy as np
import torch

LEVELS = 5
MIN_STD = 0.2  # DeQA-Score's thre_std
MAX_ERROR = 0.1  # DeQA-Score's thre_diff
DENSITIES = ("cdf", "pdf")
CENTRE_STEP = 1e-6


def level_bins(targets: torch.Tensor) -> torch.Tensor:
    """0 (bad) .. 4 (excellent): the equal-width bin of each target on the 1..5 level scale."""
    return (torch.ceil(LEVELS * (targets - 1) / (LEVELS - 1) - 1e-6) - 1).clamp(0, LEVELS - 1).long()


def deqa_distribution(mean: float, std: float, *, density: str = "cdf") -> np.ndarray:
    """DeQA-Score's soft label (bad first) of an image with ratings of `mean` and `std` on the 1..5 level scale."""
    levels = np.arange(1, LEVELS + 1, dtype=float)
    if std >= MIN_STD:
        probs = _gaussian(mean, std, density)
        if abs(mean - 3.0) < 1e-9:  # the formula's 0 / 0 at 3: its limit, alpha = 1 / (d offset / d mean)
            alpha = CENTRE_STEP / (_gaussian(3.0 + CENTRE_STEP, std, density) @ (levels - 3.0))
        else:
            alpha = (mean - 3.0) / (probs @ (levels - 3.0))
        beta = (1.0 - alpha * probs.sum()) / LEVELS
        adjusted = np.maximum(alpha * probs + beta, 0.0)
        adjusted /= adjusted.sum()
        if abs(adjusted @ levels - mean) <= MAX_ERROR:
            return adjusted
    return two_level_distribution(mean)


def _gaussian(mean: float, std: float, density: str) -> np.ndarray:
    """N(mean, std) on levels 1..5: the mass of [k - 1/2, k + 1/2] ("cdf") or the density at k ("pdf")."""
    levels = np.arange(1, LEVELS + 1, dtype=float)
    if density == "cdf":
        return np.array([_phi((x + 0.5 - mean) / std) - _phi((x - 0.5 - mean) / std) for x in levels])
    return np.exp(-0.5 * ((levels - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def two_level_distribution(mean: float) -> np.ndarray:
    """The mean split linearly between its two neighbouring levels (DeQA-Score's ``get_binary_probs``)."""
    mean = min(max(mean, 1.0), float(LEVELS))
    lower = min(int(math.floor(mean)), LEVELS - 1)
    probs = np.zeros(LEVELS)
    probs[lower - 1], probs[lower] = lower + 1 - mean, mean - lower
    return probs


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))
