"""NIQE (Mittal, Soundararajan and Bovik 2013): distance of an image's patch statistics from a pristine model.

The pristine model (mean and covariance of 36 patch features) must be fitted locally: moslab
downloads nothing. By default it is fitted on eight public-domain/CC0 photographs bundled with
scikit-image; ``NiqeModel.fit`` takes any pristine images instead (e.g. a study's references).
Patches are 96x96, and a pristine patch is kept when its sharpness (mean local deviation) is
above 0.75 times the sharpest patch of its image, as in the paper. A score is higher for worse images.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from skimage import color, data

from moslab_science.classical.images import BaselineInputError, UndefinedScoreError
from moslab_science.classical.nss import half_scale, local_mean_and_deviation, scale_features

PATCH = 96
SHARPNESS_SHARE = 0.75
BUNDLED_PRISTINE = ("astronaut", "camera", "chelsea", "coffee", "rocket", "grass", "gravel", "brick")


def bundled_pristine_images() -> list[np.ndarray]:
    """The bundled photographs as 0..255 luma (rgb2gray weights, as ``load_gray``)."""
    images = []
    for name in BUNDLED_PRISTINE:
        pixels = getattr(data, name)()
        gray = color.rgb2gray(pixels) * 255.0 if pixels.ndim == 3 else pixels.astype(np.float64)
        images.append(gray)
    return images


def patch_features(gray: np.ndarray, *, sharp_only: bool) -> np.ndarray:
    """36 features per 96x96 patch (18 at full size, 18 on the matching 48x48 patch at half size).

    Patches without local contrast (flat) have no statistics and are left out.
    """
    rows, cols = gray.shape[0] // PATCH * PATCH, gray.shape[1] // PATCH * PATCH
    if rows == 0 or cols == 0:
        size = f"{gray.shape[1]}x{gray.shape[0]}"
        raise BaselineInputError(f"NIQE needs images of at least {PATCH}x{PATCH} px; got {size}")
    gray = gray[:rows, :cols]
    per_scale, sharpness = [], None
    for image, size in ((gray, PATCH), (half_scale(gray), PATCH // 2)):
        mu, sigma = local_mean_and_deviation(image)
        coefficients = (image - mu) / (sigma + 1.0)
        features = []
        for top in range(0, image.shape[0], size):
            for left in range(0, image.shape[1], size):
                block = coefficients[top : top + size, left : left + size]
                try:
                    features.append(scale_features(block, aggd_centre=True))
                except BaselineInputError:
                    features.append([np.nan] * 18)
        per_scale.append(np.array(features))
        if sharpness is None:
            sharpness = sigma.reshape(rows // size, size, cols // size, size).mean(axis=(1, 3)).ravel()
    features = np.hstack(per_scale)
    keep = np.all(np.isfinite(features), axis=1)
    if sharp_only:
        keep &= sharpness > SHARPNESS_SHARE * sharpness.max()
    return features[keep]


@dataclass(frozen=True)
class NiqeModel:
    mean: np.ndarray
    covariance: np.ndarray
    patches: int
    source: str

    @classmethod
    def fit(cls, images: Iterable[np.ndarray], *, source: str) -> "NiqeModel":
        features = np.vstack([patch_features(gray, sharp_only=True) for gray in images])
        if features.shape[0] <= features.shape[1]:
            raise BaselineInputError(
                f"the pristine images give {features.shape[0]} sharp patches; more than {features.shape[1]} are "
                "needed for the covariance: add more or larger pristine images"
            )
        return cls(features.mean(axis=0), np.cov(features, rowvar=False), features.shape[0], source)

    @classmethod
    def bundled(cls) -> "NiqeModel":
        return cls.fit(bundled_pristine_images(), source="scikit-image photographs: " + ", ".join(BUNDLED_PRISTINE))

    def score(self, gray: np.ndarray) -> float:
        features = patch_features(gray, sharp_only=False)
        if features.shape[0] < 2:
            raise UndefinedScoreError(
                f"NIQE needs at least 2 non-flat {PATCH}x{PATCH} patches; this image has {features.shape[0]}"
            )
        difference = self.mean - features.mean(axis=0)
        pooled = (self.covariance + np.cov(features, rowvar=False)) / 2
        return float(np.sqrt(difference @ np.linalg.pinv(pooled) @ difference))
