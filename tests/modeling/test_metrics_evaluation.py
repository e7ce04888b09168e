"""evaluate_predictions: every figure tagged, challenge scores from their parts, seeded bootstrap, warnings."""

import json

import numpy as np
import pytest

from moslab_science.metrics import (
    FITS,
    UndefinedMetricError,
    evaluate_predictions,
    krcc,
    plcc,
    selection_score,
    srcc,
)


@pytest.fixture
def sample():
    rng = np.random.default_rng(7)
    mos = rng.uniform(1, 5, 80)
    pred = 1 / (1 + np.exp(-(mos - 3))) + rng.normal(0, 0.08, 80)
    return pred, mos


def test_every_figure_is_reported_with_its_fit(sample):
    pred, mos = sample
    evaluation = evaluate_predictions(pred, mos, resamples=200)
    assert evaluation.n == 80
    assert evaluation.srcc == pytest.approx(srcc(pred, mos))
    assert evaluation.krcc == pytest.approx(krcc(pred, mos))
    assert evaluation.plcc == pytest.approx(plcc(pred, mos))
    assert set(evaluation.mapped) == set(FITS)
    for kind, metrics in evaluation.mapped.items():
        assert metrics.fit.kind == kind and metrics.fit.converged
        assert metrics.rmse == pytest.approx(np.sqrt(np.mean((metrics.fit.mapped - mos) ** 2)))
    document = evaluation.as_dict()
    json.dumps(document, allow_nan=False)  # strict JSON: no NaN anywhere
    assert document["mapped"]["logistic4"]["used"] == "logistic4"


def test_challenge_scores_follow_their_definitions(sample):
    pred, mos = sample
    evaluation = evaluate_predictions(pred, mos, resamples=0)
    poly3 = evaluation.mapped["poly3"].plcc
    assert evaluation.scores["ntire2024"] == pytest.approx((abs(evaluation.srcc) + abs(poly3)) / 2)
    assert evaluation.scores["vquala2025"] == pytest.approx(0.6 * evaluation.srcc + 0.4 * evaluation.plcc)
    assert evaluation.scores["srcc_plcc"] == pytest.approx(evaluation.srcc + evaluation.plcc)
    assert selection_score(pred, mos) == pytest.approx(evaluation.scores["srcc_plcc"])
    assert evaluation.value("plcc_logistic4") == evaluation.mapped["logistic4"].plcc


def test_bootstrap_is_reproducible_from_its_seed(sample):
    pred, mos = sample
    first = evaluate_predictions(pred, mos, resamples=300, seed=11).intervals
    again = evaluate_predictions(pred, mos, resamples=300, seed=11).intervals
    other = evaluate_predictions(pred, mos, resamples=300, seed=12).intervals
    assert first == again
    assert first["srcc"] != other["srcc"]
    evaluation = evaluate_predictions(pred, mos, resamples=300, seed=11)
    for name in ("srcc", "krcc", "plcc", "plcc_poly3", "ntire2024", "vquala2025", "srcc_plcc"):
        interval = evaluation.intervals[name]
        assert interval.low < evaluation.value(name) < interval.high, name


def test_bootstrap_interval_narrows_with_more_items():
    rng = np.random.default_rng(0)
    widths = []
    for n in (30, 600):
        mos = rng.uniform(1, 5, n)
        interval = evaluate_predictions(mos + rng.normal(0, 1, n), mos, resamples=300).intervals["srcc"]
        widths.append(interval.high - interval.low)
    assert widths[1] < widths[0] / 2


def test_few_tied_items_are_evaluated_with_warnings():
    pred = np.array([1.0, 1.0, 2.0, 3.0, 3.0])
    mos = np.array([1.2, 1.0, 2.5, 2.9, 3.5])
    evaluation = evaluate_predictions(pred, mos, resamples=100)
    codes = {warning.code for warning in evaluation.warnings}
    assert {"few_items", "tied_predictions", "fit_fallback", "degenerate_resamples"} <= codes
    assert evaluation.mapped["logistic5"].fit.used == "linear"
    tied = next(w for w in evaluation.warnings if w.code == "tied_predictions")
    assert "80.0%" in tied.message


def test_constant_predictions_are_an_error_not_a_nan():
    with pytest.raises(UndefinedMetricError, match="predictions are constant"):
        evaluate_predictions(np.full(10, 0.5), np.arange(10.0))
