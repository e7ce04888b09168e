"""NaN-aware reductions on score arrays, without warnings for empty slices.

A score array has shape (stimuli, subjects, repetitions) and NaN marks a missing vote.
Every reduction here returns NaN where it is undefined (no votes, too few votes) and
leaves it to the caller to record a warning for it.
"""

import numpy as np


def votes_by_stimulus(scores: np.ndarray) -> np.ndarray:
    """(stimuli, subjects * repetitions): each row holds every vote on one stimulus."""
    return scores.reshape(scores.shape[0], -1)


def votes_by_subject(scores: np.ndarray) -> np.ndarray:
    """(subjects, stimuli * repetitions): each row holds every vote of one subject."""
    return np.moveaxis(scores, 1, 0).reshape(scores.shape[1], -1)


def nan_count(values: np.ndarray, axis: int) -> np.ndarray:
    return np.sum(~np.isnan(values), axis=axis)


def nan_mean(values: np.ndarray, axis: int) -> np.ndarray:
    count = nan_count(values, axis)
    total = np.nansum(values, axis=axis)
    return np.divide(total, count, out=np.full(total.shape, np.nan), where=count > 0)


def nan_std(values: np.ndarray, axis: int, ddof: int) -> np.ndarray:
    """Standard deviation with ``ddof``; NaN where fewer than ``ddof + 1`` values."""
    count = nan_count(values, axis)
    deviation = values - np.expand_dims(nan_mean(values, axis), axis)
    squares = np.nansum(deviation**2, axis=axis)
    variance = np.divide(squares, count - ddof, out=np.full(squares.shape, np.nan), where=count > ddof)
    return np.sqrt(variance)


def all_equal(rows: np.ndarray) -> np.ndarray:
    """Rows whose non-missing values are all equal (false for rows without values)."""
    missing = np.isnan(rows)
    highest = np.max(np.where(missing, -np.inf, rows), axis=1)
    lowest = np.min(np.where(missing, np.inf, rows), axis=1)
    return highest == lowest


def safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is zero."""
    numerator, denominator = np.broadcast_arrays(np.asarray(numerator, float), np.asarray(denominator, float))
    return np.divide(numerator, denominator, out=np.full(numerator.shape, np.nan), where=denominator != 0)


def columnwise_pearson(x: np.ndarray, y: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Pearson r of each column of ``x`` with the same column of ``y``, NaN entries ignored
    (they must be missing in both); NaN where a column has fewer than 3 pairs or no spread."""
    dx = x - nan_mean(x, axis=0)
    dy = y - nan_mean(y, axis=0)
    spread = np.sqrt(np.nansum(dx**2, axis=0) * np.nansum(dy**2, axis=0))
    r = safe_divide(np.nansum(dx * dy, axis=0), spread)
    return np.where((n >= 3) & (spread > 0), np.clip(r, -1.0, 1.0), np.nan)
