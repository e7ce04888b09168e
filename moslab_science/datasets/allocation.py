"""Assigning units (source contents, or single items) to weighted parts, reproducibly.

Units are visited stratum by stratum (strata in a seeded random order, units shuffled within a
stratum, then larger units first by size class: 1, 2-3, 4-7, 8-15... items, so that units of about
the same size stay in random order and repeated splits differ even when every unit's size differs a
little). Each unit goes to the part furthest behind its share of the items placed so far, among the
parts that have not reached their final total. The final totals are the largest-remainder
apportionment of the item count, so with one-item units every part ends within one item of its
target, and each stratum, filled in one block, ends within about 1.5 items of its own proportional
share (the tests check < 2 for up to five parts).
"""

from collections.abc import Hashable, Mapping, Sequence

import numpy as np


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole counts summing to ``total``, each within one of ``total * weight`` (ties: earlier part)."""
    exact = total * weights
    counts = np.floor(exact).astype(int)
    left = total - int(counts.sum())
    order = np.lexsort((np.arange(len(weights)), -(exact - counts)))
    counts[order[:left]] += 1
    return counts


def allocate(
    units: Sequence[str],
    *,
    sizes: Mapping[str, int],
    strata: Mapping[str, Hashable],
    weights: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, int]:
    """Part index of each unit; ``units`` must be sorted so the result does not depend on input order."""
    weights = np.asarray(weights, dtype=float) / float(np.sum(weights))
    finals = largest_remainder(sum(sizes[u] for u in units), weights)
    counts = np.zeros(len(weights), dtype=int)
    placed = 0
    parts: dict[str, int] = {}
    for unit in _visiting_order(units, sizes, strata, rng):
        placed += sizes[unit]
        behind = placed * weights - counts
        open_parts = counts < finals
        if open_parts.any():
            behind[~open_parts] = -np.inf
        part = int(np.argmax(behind))
        counts[part] += sizes[unit]
        parts[unit] = part
    return parts


def _visiting_order(
    units: Sequence[str], sizes: Mapping[str, int], strata: Mapping[str, Hashable], rng: np.random.Generator
) -> list[str]:
    members: dict[Hashable, list[str]] = {}
    for unit in units:
        members.setdefault(strata[unit], []).append(unit)
    keys = sorted(members, key=repr)
    order: list[str] = []
    for key_index in rng.permutation(len(keys)):
        block = members[keys[key_index]]
        shuffled = [block[i] for i in rng.permutation(len(block))]
        order.extend(sorted(shuffled, key=lambda unit: -sizes[unit].bit_length()))
    return order
