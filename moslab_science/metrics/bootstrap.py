"""Seeded percentile bootstrap over items: resampled metric values and their 95% intervals.

Items are drawn with replacement ``resamples`` times (numpy's PCG64 seeded with ``seed``); a
resample whose predictions or MOS come out constant has no correlation and is dropped and counted.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats

from moslab_science.metrics.fits import fit_mapping, mapped_plcc

LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"low": self.low, "high": self.high}


def resample_indices(n_items: int, *, resamples: int, seed: int) -> np.ndarray:
    """A (resamples, n_items) array of item indices drawn with replacement."""
    return np.random.default_rng(seed).integers(0, n_items, size=(resamples, n_items))


def degenerate_rows(pred: np.ndarray, mos: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Resamples on which predictions or MOS are constant."""
    return (np.ptp(pred[indices], axis=1) == 0) | (np.ptp(mos[indices], axis=1) == 0)


def rowwise_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    dx = x - x.mean(axis=1, keepdims=True)
    dy = y - y.mean(axis=1, keepdims=True)
    return np.clip(np.sum(dx * dy, axis=1) / np.sqrt(np.sum(dx * dx, axis=1) * np.sum(dy * dy, axis=1)), -1, 1)


def _resampled_srcc(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return rowwise_pearson(stats.rankdata(x, axis=1), stats.rankdata(y, axis=1))


def _resampled_krcc(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.array([stats.kendalltau(a, b, variant="b").statistic for a, b in zip(x, y, strict=True)])


def _resampled_plcc_poly3(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.array([mapped_plcc(fit_mapping(a, b, "poly3"), b) for a, b in zip(x, y, strict=True)])


RESAMPLED = {"srcc": _resampled_srcc, "krcc": _resampled_krcc, "plcc": rowwise_pearson,
             "plcc_poly3": _resampled_plcc_poly3}


def resampled_correlations(
    pred: np.ndarray, mos: np.ndarray, indices: np.ndarray, names: tuple[str, ...] = tuple(RESAMPLED)
) -> dict[str, np.ndarray]:
    """SRCC, KRCC, PLCC and PLCC after the cubic mapping (or those of ``names``) on each resample (none may be
    degenerate)."""
    x, y = pred[indices], mos[indices]
    return {name: RESAMPLED[name](x, y) for name in names}


def percentile_interval(values: np.ndarray) -> Interval:
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return Interval(float(low), float(high))
