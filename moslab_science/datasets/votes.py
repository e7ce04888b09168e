"""MOS statistics of items from their raw votes (the votes that count: verified, subject not rejected)."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from moslab_science.datasets.records import RawVote
from moslab_science.mos.planning import ci_half_width


@dataclass(frozen=True)
class VoteStats:
    """MOS, std (ddof 1), 95% CI half-width (Student t) and vote count; std and CI None below 2 votes."""

    mos: float
    std: float | None
    ci95: float | None
    count: int


def vote_statistics(votes: Sequence[RawVote]) -> dict[str, VoteStats]:
    """Statistics per stimulus over the votes that count; stimuli without such votes are absent."""
    counted = [vote for vote in votes if vote.counts]
    if not counted:
        return {}
    names, index = np.unique([vote.stimulus for vote in counted], return_inverse=True)
    scores = np.array([vote.score for vote in counted], dtype=float)
    n = np.bincount(index, minlength=len(names))
    mos = np.bincount(index, weights=scores, minlength=len(names)) / n
    squares = np.bincount(index, weights=(scores - mos[index]) ** 2, minlength=len(names))
    std = np.sqrt(squares / np.maximum(n - 1, 1))
    ci95 = ci_half_width(std, n)
    return {
        str(name): VoteStats(
            mos=float(mos[i]),
            std=float(std[i]) if n[i] > 1 else None,
            ci95=float(ci95[i]) if n[i] > 1 else None,
            count=int(n[i]),
        )
        for i, name in enumerate(names)
    }
