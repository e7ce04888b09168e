"""Agreement statistics against hand-computed cases and literal implementations of their definitions."""

import itertools

import numpy as np
import pytest

from moslab_science.mos import (
    MosInputError,
    icc2,
    krippendorff_alpha,
    rater_vs_rest,
    sos_parameter,
    split_half_reliability,
)
from moslab_science.mos.screening_correlation import subject_correlations

nan = np.nan


def _alpha_by_definition(scores: np.ndarray, metric: str) -> float:
    """Krippendorff's alpha straight from its pairwise definition (slow, for small inputs)."""
    units = [[v for v in row if not np.isnan(v)] for row in scores.reshape(scores.shape[0], -1)]
    units = [u for u in units if len(u) >= 2]
    values = [v for u in units for v in u]
    n = len(values)
    frequency = {c: values.count(c) for c in set(values)}

    def delta(a: float, b: float) -> float:
        if metric == "interval":
            return (a - b) ** 2
        low, high = min(a, b), max(a, b)
        between = sum(f for c, f in frequency.items() if low <= c <= high)
        return (between - (frequency[low] + frequency[high]) / 2) ** 2

    observed = (
        sum(
            sum(delta(a, b) for (i, a), (j, b) in itertools.product(enumerate(u), repeat=2) if i != j) / (len(u) - 1)
            for u in units
        )
        / n
    )
    expected = sum(delta(a, b) for (i, a), (j, b) in itertools.product(enumerate(values), repeat=2) if i != j) / (
        n * (n - 1)
    )
    return 1 - observed / expected


def test_alpha_by_hand() -> None:
    # Units (1,1), (2,2), (1,2): D_o = (0 + 0 + 2/1) / 6 = 1/3; of the 30 ordered pairs of
    # values 18 differ, D_e = 18/30 = 3/5, alpha = 1 - (1/3)/(3/5) = 4/9 (ordinal too: two levels).
    scores = np.array([[1.0, 1.0], [2.0, 2.0], [1.0, 2.0]])[:, :, None]
    assert krippendorff_alpha(scores, metric="interval") == pytest.approx(4 / 9)
    assert krippendorff_alpha(scores, metric="ordinal") == pytest.approx(4 / 9)


@pytest.mark.parametrize("metric", ["interval", "ordinal"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_alpha_matches_its_definition_with_missing_votes(metric: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    scores = np.round(rng.uniform(0.5, 5.5, (9, 4, 1)))
    scores[rng.random(scores.shape) < 0.3] = nan
    assert krippendorff_alpha(scores, metric=metric) == pytest.approx(_alpha_by_definition(scores, metric))


def test_alpha_is_one_under_perfect_agreement() -> None:
    scores = np.repeat(np.array([1.0, 3.0, 4.0, 2.0])[:, None], 3, axis=1)[:, :, None]
    assert krippendorff_alpha(scores) == pytest.approx(1.0)
    assert krippendorff_alpha(scores, metric="ordinal") == pytest.approx(1.0)


def test_icc_by_hand() -> None:
    # Votes (1,2), (3,4), (5,5): MSR = 37/6, MSC = 2/3, MSE = 1/6 (two-way ANOVA), so
    # ICC(2,1) = 6 / (38/6 + 2 (1/2) / 3) = 9/10 and ICC(2,2) = 6 / (37/6 + (1/2) / 3) = 18/19.
    icc = icc2(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 5.0]])[:, :, None])
    assert icc.icc2_1 == pytest.approx(9 / 10)
    assert icc.icc2_k == pytest.approx(18 / 19)
    assert (icc.n_stimuli, icc.n_raters) == (3, 2)


def test_icc_averages_repetitions_and_refuses_missing_cells() -> None:
    repeated = np.array([[[0.5, 1.5], [2.0, nan]], [[3.0, nan], [4.0, nan]], [[5.0, nan], [5.0, nan]]])
    assert icc2(repeated).icc2_1 == pytest.approx(9 / 10)
    with pytest.raises(MosInputError, match="1 of 6 stimulus-subject cells are empty"):
        icc2(np.array([[1.0, 2.0], [3.0, nan], [5.0, 5.0]])[:, :, None])


def test_split_half_of_identical_raters_is_one_and_is_seeded() -> None:
    rng = np.random.default_rng(0)
    identical = np.repeat(rng.uniform(1, 5, (30, 1)), 8, axis=1)[:, :, None]
    assert split_half_reliability(identical, n_splits=20).srcc_corrected_mean == pytest.approx(1.0)
    noisy = identical + rng.normal(0, 1.0, identical.shape)
    first = split_half_reliability(noisy, n_splits=50, seed=3)
    assert first == split_half_reliability(noisy, n_splits=50, seed=3)
    assert first.srcc_mean < first.srcc_corrected_mean < 1  # Spearman-Brown raises r < 1
    assert first.srcc_corrected_std > 0


def test_split_half_of_unrelated_raters_is_near_zero() -> None:
    scores = np.random.default_rng(1).uniform(1, 5, (400, 10, 1))
    assert abs(split_half_reliability(scores, n_splits=30).srcc_mean) < 0.15


def test_rater_vs_rest_is_the_correlation_with_the_others() -> None:
    scores = np.random.default_rng(2).uniform(1, 5, (15, 5, 1))
    np.testing.assert_array_equal(
        rater_vs_rest(scores).pearson, subject_correlations(scores, reference="others").pearson
    )


def test_sos_parameter_by_hand_and_recovered() -> None:
    # MOS 3 on 1..5: f = (3 - 1)(5 - 3) = 4; SOS = 1 gives a = 1 * 4 / 4^2 = 1/4.
    assert sos_parameter(np.array([3.0]), np.array([1.0]), (1, 5)) == pytest.approx(0.25)
    mos = np.linspace(1.2, 4.8, 30)
    sos = np.sqrt(0.2 * (mos - 1) * (5 - mos))
    assert sos_parameter(mos, sos, (1, 5)) == pytest.approx(0.2)
    assert sos_parameter(np.append(mos, nan), np.append(sos, 1.0), (1, 5)) == pytest.approx(0.2)
