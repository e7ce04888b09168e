"""Studies published as vote histograms (KonIQ-10k form: fraction per level and a vote total).

For level values ``l_i`` with vote counts ``c_i`` (fraction x total) and ``N = sum c_i``:
``MOS = sum c_i l_i / N`` and ``SD = sqrt(sum c_i (l_i - MOS)^2 / (N - 1))`` (ddof = 1).
"""

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from moslab_science.mos.arrays import safe_divide
from moslab_science.mos.errors import MosInputError

#: Fractions are published rounded; counts more than this far from a whole number are an error.
COUNT_TOLERANCE = 1e-6


@dataclass(frozen=True, eq=False)
class HistogramMos:
    """MOS, SD (ddof = 1) and vote count per stimulus, on the scale of ``levels``."""

    stimulus_ids: tuple[str, ...]
    mos: np.ndarray
    std: np.ndarray
    n: np.ndarray
    levels: tuple[float, ...]


def histogram_mos(
    counts: np.ndarray, *, levels: Sequence[float], stimulus_ids: Sequence[str] | None = None
) -> HistogramMos:
    """MOS and SD from vote counts, one row per stimulus and one column per level."""
    counts = np.asarray(counts, dtype=float)
    values = np.asarray(levels, dtype=float)
    ids = tuple(stimulus_ids) if stimulus_ids is not None else tuple(str(i) for i in range(counts.shape[0]))
    if counts.ndim != 2 or counts.shape[1] != values.size:
        raise MosInputError(f"counts must have one column per level ({values.size}); got shape {counts.shape}.")
    if counts.shape[0] == 0:
        raise MosInputError("the histogram table is empty.")
    bad = np.flatnonzero(~np.isfinite(counts).all(axis=1) | (counts < 0).any(axis=1))
    if bad.size:
        raise MosInputError(
            f"stimulus {ids[bad[0]]!r}: vote counts must be finite and not negative; got {counts[bad[0]].tolist()}."
        )
    n = counts.sum(axis=1)
    mos = safe_divide(counts @ values, n)
    squares = np.sum(counts * (values[None, :] - mos[:, None]) ** 2, axis=1)
    return HistogramMos(ids, mos, np.sqrt(safe_divide(squares, n - 1)), n, tuple(values.tolist()))


def counts_from_fractions(fractions: np.ndarray, totals: np.ndarray, stimulus_ids: Sequence[str]) -> np.ndarray:
    """Whole vote counts from per-level fractions and vote totals, checking both."""
    fractions = np.asarray(fractions, dtype=float)
    totals = np.asarray(totals, dtype=float)
    sums = fractions.sum(axis=1)
    off = np.flatnonzero(np.abs(sums - 1.0) > COUNT_TOLERANCE * np.maximum(totals, 1))
    if off.size:
        raise MosInputError(f"stimulus {stimulus_ids[off[0]]!r}: the level fractions sum to {sums[off[0]]:.6f}, not 1.")
    counts = fractions * totals[:, None]
    rounded = np.round(counts)
    uneven = np.flatnonzero((np.abs(counts - rounded) > COUNT_TOLERANCE).any(axis=1))
    if uneven.size:
        raise MosInputError(
            f"stimulus {stimulus_ids[uneven[0]]!r}: fractions x total are not whole vote "
            f"counts ({counts[uneven[0]].tolist()}); check the total."
        )
    return rounded


def read_histogram_csv(
    path: str | Path,
    *,
    id_column: str = "image_name",
    level_columns: Sequence[str] = ("c1", "c2", "c3", "c4", "c5"),
    levels: Sequence[float] = (1, 2, 3, 4, 5),
    total_column: str = "c_total",
) -> HistogramMos:
    """Read a KonIQ-10k style CSV: an id, one fraction column per level and the vote total."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in (id_column, total_column, *level_columns) if c not in (reader.fieldnames or [])]
        if missing:
            raise MosInputError(f"{Path(path).name}: missing column(s) {', '.join(missing)}.")
        rows = list(reader)
    ids = [row[id_column] for row in rows]
    try:
        fractions = np.array([[float(row[c]) for c in level_columns] for row in rows], dtype=float)
        totals = np.array([float(row[total_column]) for row in rows], dtype=float)
    except ValueError as error:
        raise MosInputError(f"{Path(path).name}: a fraction or total is not a number ({error}).") from None
    return histogram_mos(counts_from_fractions(fractions, totals, ids), levels=levels, stimulus_ids=ids)
