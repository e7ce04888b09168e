"""Full-reference baselines, when a stimulus has a reference: PSNR and SSIM on 0..255 luma."""

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from moslab_science.classical.images import BaselineInputError


def _check_pair(gray: np.ndarray, reference: np.ndarray) -> None:
    if gray.shape != reference.shape:
        raise BaselineInputError(
            f"the image is {gray.shape[1]}x{gray.shape[0]} but its reference is "
            f"{reference.shape[1]}x{reference.shape[0]}: full-reference metrics need equal sizes"
        )


def psnr(gray: np.ndarray, reference: np.ndarray) -> float:
    """PSNR in dB (peak 255); an image identical to its reference has no finite PSNR and is refused."""
    _check_pair(gray, reference)
    if np.array_equal(gray, reference):
        raise BaselineInputError("the image is identical to its reference: PSNR is infinite")
    return float(peak_signal_noise_ratio(reference, gray, data_range=255.0))


def ssim(gray: np.ndarray, reference: np.ndarray) -> float:
    """SSIM (Wang et al. 2004: 7x7 uniform window, K1 0.01, K2 0.03, scikit-image's defaults), peak 255."""
    _check_pair(gray, reference)
    return float(structural_similarity(reference, gray, data_range=255.0))
