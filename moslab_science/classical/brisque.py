"""BRISQUE (Mittal, Moorthy and Bovik 2012): 36 natural-scene features, regressed onto MOS by an RBF SVR.

The paper's regressor was trained on LIVE and ships as a libsvm model; moslab downloads nothing,
so the SVR is trained here, on the training part of the split being evaluated. Features are
scaled to [-1, 1] (as libsvm's svm-scale), MOS is standardised, and C and gamma are chosen by
5-fold cross-validation on the training part only (grouped by source content when groups are given).
"""

from collections.abc import Sequence

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVR

from moslab_science.classical.images import BaselineInputError
from moslab_science.classical.nss import two_scale_features

SEARCH_GRID = {"regressor__svr__C": [1.0, 4.0, 16.0], "regressor__svr__gamma": ["scale", 0.05]}
FOLDS = 5
# Fewer training items than this and the cross-validated SVR means nothing.
MIN_TRAINING_ITEMS = 10


def brisque_features(gray: np.ndarray) -> np.ndarray:
    """The paper's 36 features of a 0..255 luma image (GGD on MSCN, AGGD on neighbour products, 2 scales)."""
    return two_scale_features(gray, aggd_centre=False)


class Brisque:
    """BRISQUE with an SVR trained on the caller's training items; ``score`` is on the MOS scale."""

    def __init__(self, *, seed: int = 0):
        self.seed = seed
        self.search: GridSearchCV | None = None

    def fit_features(self, features: np.ndarray, mos: Sequence[float], *, groups: Sequence[str] | None = None):
        features = np.asarray(features, dtype=float)
        mos = np.asarray(mos, dtype=float)
        if features.shape[0] < MIN_TRAINING_ITEMS:
            raise BaselineInputError(
                f"BRISQUE's SVR needs at least {MIN_TRAINING_ITEMS} training images; got {features.shape[0]}"
            )
        model = TransformedTargetRegressor(
            regressor=make_pipeline(MinMaxScaler(feature_range=(-1, 1)), SVR(kernel="rbf")),
            transformer=StandardScaler(),
        )
        folds = min(FOLDS, features.shape[0] // 2)
        if groups is not None and len(set(groups)) < 2:
            groups = None  # one source content: the folds cannot keep contents apart, so split items
        if groups is not None:
            splitter = GroupKFold(n_splits=min(folds, len(set(groups))))
        else:
            splitter = KFold(folds, shuffle=True, random_state=self.seed)
        self.search = GridSearchCV(model, SEARCH_GRID, cv=splitter, scoring="neg_mean_squared_error")
        self.search.fit(features, mos, groups=groups)
        return self

    def fit(self, images: Sequence[np.ndarray], mos: Sequence[float], *, groups: Sequence[str] | None = None):
        return self.fit_features(np.array([brisque_features(gray) for gray in images]), mos, groups=groups)

    def predict_features(self, features: np.ndarray) -> np.ndarray:
        if self.search is None:
            raise BaselineInputError("BRISQUE has no trained regressor yet: fit it on training images first")
        return self.search.predict(np.atleast_2d(features))

    def score(self, gray: np.ndarray) -> float:
        return float(self.predict_features(brisque_features(gray))[0])
