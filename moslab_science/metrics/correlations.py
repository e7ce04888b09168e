"""SRCC, KRCC, PLCC and RMSE on a pair of 1-D arrays, with the input checks every metric shares.

SRCC is the Pearson correlation of average ranks (ties share their mean rank), KRCC is Kendall's
tau-b (ties corrected), PLCC is Pearson's r on the values as given.
"""

import numpy as np
from scipy import stats

from moslab_science.metrics.errors import MetricsInputError, UndefinedMetricError

# Fewer items than this and no correlation is computed at all.
MIN_ITEMS = 3
_POSITIONS_NAMED = 8


def checked_pair(predictions, mos) -> tuple[np.ndarray, np.ndarray]:
    """Both inputs as float arrays of one length, finite, with at least ``MIN_ITEMS`` items."""
    pred = np.asarray(predictions, dtype=float)
    target = np.asarray(mos, dtype=float)
    if pred.ndim != 1 or target.shape != pred.shape:
        raise MetricsInputError(
            f"predictions and MOS must be 1-D and of equal length; got shapes {pred.shape} and {target.shape}"
        )
    for label, values in (("predictions", pred), ("MOS", target)):
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            shown = ", ".join(str(i) for i in bad[:_POSITIONS_NAMED])
            more = f" and {bad.size - _POSITIONS_NAMED} more" if bad.size > _POSITIONS_NAMED else ""
            raise MetricsInputError(f"{label} hold NaN or infinite values at position(s) {shown}{more}")
    if pred.size < MIN_ITEMS:
        raise MetricsInputError(f"{pred.size} item(s): at least {MIN_ITEMS} are needed for a correlation")
    return pred, target


def require_variation(pred: np.ndarray, target: np.ndarray) -> None:
    """Refuse constant inputs, on which every correlation is undefined (0/0)."""
    for label, values in (("predictions", pred), ("MOS", target)):
        if np.ptp(values) == 0:
            raise UndefinedMetricError(
                f"the {label} are constant (all {values[0]:g}) on these {values.size} items: correlations are undefined"
            )


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's r of two non-constant arrays, clipped to [-1, 1] against rounding."""
    dx = x - x.mean()
    dy = y - y.mean()
    return float(np.clip(dx @ dy / np.sqrt((dx @ dx) * (dy @ dy)), -1.0, 1.0))


def plcc(predictions, mos) -> float:
    pred, target = checked_pair(predictions, mos)
    require_variation(pred, target)
    return pearson(pred, target)


def srcc(predictions, mos) -> float:
    pred, target = checked_pair(predictions, mos)
    require_variation(pred, target)
    return pearson(stats.rankdata(pred), stats.rankdata(target))


def krcc(predictions, mos) -> float:
    pred, target = checked_pair(predictions, mos)
    require_variation(pred, target)
    return float(stats.kendalltau(pred, target, variant="b").statistic)


def rmse(predictions, mos) -> float:
    pred, target = checked_pair(predictions, mos)
    return float(np.sqrt(np.mean((pred - target) ** 2)))


def tied_share(values: np.ndarray) -> float:
    """The share of items whose value equals another item's value."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    return float(np.mean(counts[inverse] > 1))
