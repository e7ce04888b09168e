"""Natural-scene statistics shared by BRISQUE and NIQE (Mittal, Moorthy and Bovik 2012; Mittal et al. 2013).

MSCN coefficients: (I - mu) / (sigma + 1), mu and sigma local Gaussian-weighted (7x7, sigma 7/6)
mean and deviation, on 0..255 luma. A generalised Gaussian (GGD) is fitted to them, and an
asymmetric one (AGGD) to the products of each coefficient with its neighbour in four directions,
both by moment matching over a shape grid 0.2..10 in steps of 0.001, as in the papers' code.
"""

import numpy as np
from scipy import ndimage
from scipy.special import gamma
from skimage.transform import rescale

from moslab_science.classical.images import BaselineInputError

SHAPES = np.arange(0.2, 10.0 + 1e-9, 0.001)
_GGD_RATIOS = gamma(1 / SHAPES) * gamma(3 / SHAPES) / gamma(2 / SHAPES) ** 2
_AGGD_RATIOS = gamma(2 / SHAPES) ** 2 / (gamma(1 / SHAPES) * gamma(3 / SHAPES))
# Neighbour directions: horizontal, vertical, main diagonal, secondary diagonal (row, column shifts).
SHIFTS = ((0, 1), (1, 0), (1, 1), (-1, 1))
FEATURES_PER_SCALE = 18


def gaussian_window(size: int = 7, sigma: float = 7 / 6) -> np.ndarray:
    axis = np.arange(size) - (size - 1) / 2
    window = np.exp(-(axis[:, None] ** 2 + axis[None, :] ** 2) / (2 * sigma**2))
    return window / window.sum()


_WINDOW = gaussian_window()


def local_mean_and_deviation(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu = ndimage.correlate(gray, _WINDOW, mode="nearest")
    variance = ndimage.correlate(gray * gray, _WINDOW, mode="nearest") - mu * mu
    return mu, np.sqrt(np.abs(variance))


def mscn(gray: np.ndarray) -> np.ndarray:
    mu, sigma = local_mean_and_deviation(gray)
    return (gray - mu) / (sigma + 1.0)


def fit_ggd(values: np.ndarray) -> tuple[float, float]:
    """Shape and variance of a zero-mean generalised Gaussian by moment matching."""
    variance = float(np.mean(values**2))
    mean_abs = float(np.mean(np.abs(values)))
    if mean_abs == 0:
        raise BaselineInputError("the image is flat (no local contrast): natural-scene statistics are undefined")
    shape = SHAPES[np.argmin(np.abs(variance / mean_abs**2 - _GGD_RATIOS))]
    return float(shape), variance


def fit_aggd(values: np.ndarray) -> tuple[float, float, float, float]:
    """Shape, mean, left and right variance of an asymmetric generalised Gaussian."""
    left, right = values[values < 0], values[values > 0]
    if left.size == 0 or right.size == 0:
        raise BaselineInputError("the image is flat (no local contrast): natural-scene statistics are undefined")
    left_std, right_std = np.sqrt(np.mean(left**2)), np.sqrt(np.mean(right**2))
    ratio = left_std / right_std
    r_hat = np.mean(np.abs(values)) ** 2 / np.mean(values**2)
    r_norm = r_hat * (ratio**3 + 1) * (ratio + 1) / (ratio**2 + 1) ** 2
    shape = float(SHAPES[np.argmin((_AGGD_RATIOS - r_norm) ** 2)])
    mean = (right_std - left_std) * gamma(2 / shape) / gamma(1 / shape) * np.sqrt(gamma(1 / shape) / gamma(3 / shape))
    return shape, float(mean), float(left_std**2), float(right_std**2)


def scale_features(coefficients: np.ndarray, *, aggd_centre: bool) -> list[float]:
    """18 features of one scale: the MSCN fit (2) then, per direction, the product fit (4).

    BRISQUE fits a GGD to the MSCN coefficients (shape, variance); NIQE fits an AGGD and keeps
    its shape and the mean of its left and right variances (``aggd_centre=True``).
    """
    if aggd_centre:
        shape, _, left, right = fit_aggd(coefficients.ravel())
        features = [shape, (left + right) / 2]
    else:
        features = list(fit_ggd(coefficients.ravel()))
    for shift in SHIFTS:
        products = coefficients * np.roll(coefficients, shift, axis=(0, 1))
        features.extend(fit_aggd(products.ravel()))
    return features


def half_scale(gray: np.ndarray) -> np.ndarray:
    """The image at half size (bicubic with anti-aliasing, as MATLAB's imresize(I, 0.5))."""
    return rescale(gray, 0.5, order=3, anti_aliasing=True, preserve_range=True)


def two_scale_features(gray: np.ndarray, *, aggd_centre: bool = False) -> np.ndarray:
    """36 features: ``scale_features`` at full and at half size."""
    if np.ptp(gray) == 0:
        raise BaselineInputError(
            f"the image is flat (every pixel {gray.flat[0]:g}): natural-scene statistics are undefined"
        )
    return np.array(
        scale_features(mscn(gray), aggd_centre=aggd_centre)
        + scale_features(mscn(half_scale(gray)), aggd_centre=aggd_centre)
    )
