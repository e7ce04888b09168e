"""Raters needed per stimulus and the widest-CI-first allocation of the next ratings."""

import heapq

import numpy as np
import pytest
from scipy import stats

from moslab_science.mos import (
    MosInputError,
    ScoreMatrix,
    allocate_for_matrix,
    allocate_ratings,
    ci_half_width,
    raters_needed,
)
from moslab_science.mos.stats import NORMAL_Z95, mos_stats


def test_half_width_by_hand() -> None:
    assert ci_half_width(np.array([2.0]), np.array([4]))[0] == pytest.approx(stats.t.ppf(0.975, 3) * 2 / 2)
    assert ci_half_width(np.array([2.0]), np.array([4]), interval="normal")[0] == pytest.approx(NORMAL_Z95)
    assert np.isinf(ci_half_width(np.array([2.0]), np.array([1]))[0])


@pytest.mark.parametrize("interval", ["t", "normal"])
def test_raters_needed_is_the_smallest_count_meeting_the_target(interval: str) -> None:
    std = np.random.default_rng(0).uniform(0.1, 1.5, 200)
    needed = raters_needed(std, 0.3, interval=interval).astype(int)
    assert np.all(ci_half_width(std, needed, interval=interval) <= 0.3)
    fewer = np.maximum(needed - 1, 1)
    assert np.all((needed == 2) | (ci_half_width(std, fewer, interval=interval) > 0.3))
    assert np.all(needed >= raters_needed(std, 0.3, interval="normal"))


def test_raters_needed_keeps_unknown_std_unknown_and_checks_the_target() -> None:
    assert np.isnan(raters_needed(np.array([np.nan, 1.0]), 0.5)[0])
    with pytest.raises(MosInputError, match="must be positive"):
        raters_needed(np.array([1.0]), 0.0)


def _greedy(counts: np.ndarray, std: np.ndarray, target: float, k: int) -> list[int]:
    """One rating at a time to the widest CI still above the target (a heap)."""
    counts = counts.copy()
    heap = [(-ci_half_width(std[i], counts[i])[()], i) for i in range(len(counts))]
    heapq.heapify(heap)
    chosen: list[int] = []
    while heap and len(chosen) < k:
        width, i = heapq.heappop(heap)
        if -width <= target:
            break
        chosen.append(i)
        counts[i] += 1
        heapq.heappush(heap, (-ci_half_width(std[i], counts[i])[()], i))
    return chosen


def test_allocation_equals_one_at_a_time_greedy() -> None:
    rng = np.random.default_rng(1)
    counts = rng.integers(2, 8, 40)
    std = rng.uniform(0.3, 1.2, 40)
    for k in (1, 7, 60, 10_000):
        allocation = allocate_ratings(counts, std, 0.4, k)
        assert allocation.stimuli.tolist() == _greedy(counts, std, 0.4, k)


def test_allocation_stops_when_every_stimulus_meets_the_target() -> None:
    counts = np.array([3, 10, 2])
    std = np.array([1.0, 0.2, 0.8])
    allocation = allocate_ratings(counts, std, 0.5, 1_000)
    assert allocation.target_met
    np.testing.assert_array_equal(allocation.counts_after, np.maximum(counts, raters_needed(std, 0.5)))
    assert np.all(allocation.half_width_after <= 0.5)
    assert allocation.stimuli[0] == 2  # widest first: two votes, std 0.8
    assert not allocate_ratings(counts, std, 0.5, 3).target_met


def test_unrated_stimuli_come_first_and_use_the_prior() -> None:
    counts = np.array([5, 0, 1])
    std = np.array([0.5, np.nan, np.nan])
    allocation = allocate_ratings(counts, std, 0.6, 3)
    assert sorted(allocation.stimuli.tolist()) == [1, 1, 2]
    with pytest.raises(MosInputError, match="give prior_std"):
        allocate_ratings(np.array([0, 1]), np.array([np.nan, np.nan]), 0.5, 2)


def test_allocation_from_a_matrix_names_stimuli() -> None:
    scores = np.array([[1.0, 5.0, 3.0], [3.0, 3.0, 3.1]])
    matrix = ScoreMatrix(scores, ("wide", "narrow"), ("s1", "s2", "s3"), (1, 5))
    assert allocate_for_matrix(matrix, target_half_width=1.0, k=2) == ("wide", "wide")


def test_planning_half_width_is_bit_identical_to_the_mos_ci() -> None:
    # Imports store the planning half-width; a MOS computation stores mos_stats' CI: they must hash alike.
    rng = np.random.default_rng(11)
    scores = rng.integers(1, 6, (4000, 9, 1)).astype(float)
    scores[rng.random(scores.shape) < 0.35] = np.nan
    statistics = mos_stats(scores)
    rated = statistics.n >= 2
    np.testing.assert_array_equal(ci_half_width(statistics.std, statistics.n)[rated], statistics.ci95_t[rated])
