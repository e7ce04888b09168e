"""SRCC, KRCC and PLCC against SciPy and hand-computed cases, and the input checks every metric shares."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from moslab_science.metrics import MetricsInputError, UndefinedMetricError, krcc, plcc, rmse, srcc

scores = st.lists(st.integers(-50, 50), min_size=3, max_size=40)


def test_hand_computed_without_ties():
    # d = rank differences (0, 1, -1, 0): SRCC = 1 - 6 * 2 / (4 * 15) = 0.8; 5 concordant, 1 discordant pair.
    pred, mos = [1, 2, 3, 4], [1, 3, 2, 4]
    assert srcc(pred, mos) == pytest.approx(0.8)
    assert krcc(pred, mos) == pytest.approx(4 / 6)
    assert plcc(pred, mos) == pytest.approx(4 / 5)  # sum dx*dy = 4, sum dx^2 = sum dy^2 = 5


def test_hand_computed_with_tied_predictions():
    # Ranks (1.5, 1.5, 3, 4) against (1, 2, 3, 4): r = 4.5 / sqrt(4.5 * 5); tau-b = 5 / sqrt(5 * 6).
    pred, mos = [1, 1, 2, 3], [1, 2, 3, 4]
    assert srcc(pred, mos) == pytest.approx(4.5 / np.sqrt(22.5))
    assert krcc(pred, mos) == pytest.approx(5 / np.sqrt(30))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_agrees_with_scipy_including_ties(data):
    pred = np.array(data.draw(scores), dtype=float)
    mos = np.array(data.draw(st.lists(st.integers(1, 5), min_size=pred.size, max_size=pred.size)), dtype=float)
    if np.ptp(pred) == 0 or np.ptp(mos) == 0:
        with pytest.raises(UndefinedMetricError):
            srcc(pred, mos)
        return
    assert srcc(pred, mos) == pytest.approx(stats.spearmanr(pred, mos).statistic, abs=1e-12)
    assert krcc(pred, mos) == pytest.approx(stats.kendalltau(pred, mos).statistic, abs=1e-12)
    assert plcc(pred, mos) == pytest.approx(stats.pearsonr(pred, mos).statistic, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-1000, 1000), min_size=3, max_size=30, unique=True), st.randoms())
def test_monotone_transforms_keep_rank_correlations(values, rng):
    pred = np.array(values, dtype=float)
    order = list(range(len(values)))
    rng.shuffle(order)
    mos = np.array(order, dtype=float)  # distinct, in a random order
    increasing = pred**3 + 5 * pred  # strictly increasing and exact in float64 on these integers
    assert srcc(increasing, mos) == pytest.approx(srcc(pred, mos), abs=1e-12)
    assert krcc(increasing, mos) == pytest.approx(krcc(pred, mos), abs=1e-12)
    assert srcc(-increasing, mos) == pytest.approx(-srcc(pred, mos), abs=1e-12)


def test_constant_predictions_are_refused_by_name():
    with pytest.raises(UndefinedMetricError, match="predictions are constant"):
        plcc([2.0, 2.0, 2.0, 2.0], [1, 2, 3, 4])
    with pytest.raises(UndefinedMetricError, match="MOS are constant"):
        srcc([1, 2, 3, 4], [3, 3, 3, 3])


def test_nan_too_few_and_mismatched_inputs_are_refused():
    with pytest.raises(MetricsInputError, match=r"predictions hold NaN .* position\(s\) 1, 3"):
        srcc([1, np.nan, 2, np.inf], [1, 2, 3, 4])
    with pytest.raises(MetricsInputError, match="MOS hold NaN"):
        srcc([1, 2, 3], [1, np.nan, 3])
    with pytest.raises(MetricsInputError, match="at least 3"):
        srcc([1, 2], [1, 2])
    with pytest.raises(MetricsInputError, match="equal length"):
        plcc([1, 2, 3], [1, 2, 3, 4])


def test_rmse_is_the_root_mean_squared_difference():
    assert rmse([1, 2, 3, 4], [2, 2, 3, 2]) == pytest.approx(np.sqrt((1 + 0 + 0 + 4) / 4))
