"""The paired comparison of two models on the same items: bootstrap and Williams' test."""

import numpy as np
import pytest

from moslab_science.metrics import MetricsInputError, compare_models, williams_test


@pytest.fixture
def two_models():
    rng = np.random.default_rng(5)
    mos = rng.normal(size=150)
    return mos + rng.normal(0, 0.4, 150), mos + rng.normal(0, 1.2, 150), mos


def test_williams_t_by_hand():
    # K = 1 - .36 - .16 - .25 + 2 * .6 * .4 * .5 = .47; denominator = 2 * .47 * 29 / 27 + (1 / 4) * .5^3
    # t = .2 * sqrt(29 * 1.5 / denominator)
    denominator = 2 * 0.47 * 29 / 27 + 0.25 * 0.125
    t, p = williams_test(0.6, 0.4, 0.5, 30)
    assert t == pytest.approx(0.2 * np.sqrt(29 * 1.5 / denominator))
    assert 0.1 < p < 0.3
    assert williams_test(0.4, 0.6, 0.5, 30)[0] == pytest.approx(-t)
    assert williams_test(0.6, 0.4, 0.5, 300)[1] < p  # more items, same correlations: stronger evidence


def test_a_clearly_better_model_is_detected(two_models):
    better, worse, mos = two_models
    for metric in ("srcc", "plcc"):
        result = compare_models(better, worse, mos, metric=metric, resamples=500)
        assert result.difference > 0.1
        assert result.ci95.low > 0
        assert result.p_bootstrap == pytest.approx(1 / 500)  # never 0: the smallest p a bootstrap can show
        assert result.p_williams < 0.001


def test_swapping_the_models_mirrors_the_result(two_models):
    better, worse, mos = two_models
    forward = compare_models(better, worse, mos, resamples=400, seed=3)
    backward = compare_models(worse, better, mos, resamples=400, seed=3)
    assert backward.difference == pytest.approx(-forward.difference)
    assert backward.ci95.low == pytest.approx(-forward.ci95.high)
    assert backward.williams_t == pytest.approx(-forward.williams_t)


def test_identical_models_do_not_differ(two_models):
    better, _, mos = two_models
    result = compare_models(better, better, mos, resamples=200)
    assert result.difference == 0 and result.p_bootstrap == 1.0 and result.p_williams == 1.0


def test_unknown_metric_and_too_few_items_are_refused(two_models):
    better, worse, mos = two_models
    with pytest.raises(MetricsInputError, match="unknown metric 'krcc'"):
        compare_models(better, worse, mos, metric="krcc")
    with pytest.raises(MetricsInputError, match="at least 4"):
        williams_test(0.5, 0.4, 0.3, 3)
