"""Nonlinear mappings: recovery of known curves, the PLCC guarantee, and explicit fallbacks when fits fail."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moslab_science.metrics import MAPPINGS, fit_mapping, mapping_curve, plcc
from moslab_science.metrics import fits as fits_module
from moslab_science.metrics.fits import logistic4, zscore


def test_logistic4_recovers_a_noiseless_logistic_relation():
    pred = np.linspace(-3, 7, 60)
    mos = 1 + 4 / (1 + np.exp(-(pred - 2) / 0.8))
    fit = fit_mapping(pred, mos, "logistic4")
    assert fit.converged and fit.used == "logistic4"
    np.testing.assert_allclose(fit.mapped, mos, atol=1e-6)
    b1, b2 = fit.params[:2]
    assert {round(b1, 4), round(b2, 4)} == {5.0, 1.0}  # the asymptotes, whatever the z-scoring


def test_decreasing_relation_is_fitted_with_a_falling_curve():
    pred = np.linspace(0, 10, 40)
    mos = 5 - 4 / (1 + np.exp(-(pred - 5)))
    for kind in ("logistic4", "logistic5"):
        fit = fit_mapping(pred, mos, kind)
        assert fit.converged
        assert plcc(fit.mapped, mos) > 0.999


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-100, 100), min_size=8, max_size=40), st.randoms())
def test_mapping_improves_or_keeps_plcc(values, rng):
    pred = np.array(values)
    if np.unique(pred).size < 3:
        return
    mos = np.array([rng.uniform(1, 5) for _ in values]) + 0.02 * pred
    raw = abs(plcc(pred, mos))
    # logistic5 and poly3 contain straight lines exactly; logistic4 only in the limit (its near-linear start).
    for kind, tolerance in (("logistic5", 1e-7), ("poly3", 1e-9), ("logistic4", 1e-3)):
        fit = fit_mapping(pred, mos, kind)
        assert plcc(fit.mapped, mos) >= raw - tolerance, (kind, fit)


def test_too_few_items_falls_back_to_a_line_and_says_so():
    pred, mos = np.array([1.0, 2, 3, 4, 6]), np.array([1.0, 2.5, 2.9, 4.2, 4.4])
    fit = fit_mapping(pred, mos, "logistic5")
    assert (fit.used, fit.converged) == ("linear", False)
    assert "5 items are too few for logistic5 (6 needed)" in fit.message
    assert plcc(fit.mapped, mos) == pytest.approx(plcc(pred, mos))


def test_non_convergence_falls_back_to_a_line_and_says_why(monkeypatch):
    monkeypatch.setattr(fits_module, "_MAX_EVALUATIONS", 1)
    pred = np.linspace(0, 1, 30)
    mos = np.sqrt(pred) * 4 + 1
    fit = fit_mapping(pred, mos, "logistic4")
    assert (fit.used, fit.converged) == ("linear", False)
    assert "did not converge from any start" in fit.message and "maxfev" in fit.message
    intercept, slope = fit.params
    np.testing.assert_allclose(fit.mapped, intercept + slope * zscore(pred))


def test_polynomial_needs_more_distinct_values_than_its_degree():
    pred = np.array([1.0, 1, 2, 2, 3, 3])
    fit = fit_mapping(pred, pred * 2 + 1, "poly3")
    assert fit.used == "linear" and "fewer than 4 distinct" in fit.message


def test_mapping_curve_reproduces_the_fitted_values_for_every_kind():
    rng = np.random.default_rng(3)
    pred = rng.uniform(0, 10, 50)
    mos = np.tanh(pred - 5) + rng.normal(0, 0.1, 50)
    for kind in MAPPINGS:
        fit = fit_mapping(pred, mos, kind)
        np.testing.assert_allclose(mapping_curve(fit, pred, pred), fit.mapped, atol=1e-9)


def test_logistic4_is_finite_for_a_zero_scale():
    assert np.all(np.isfinite(logistic4(np.array([-1.0, 1.0]), 5, 1, 0, 0)))


def test_unknown_mapping_is_refused():
    with pytest.raises(ValueError, match="unknown fit 'spline'"):
        fit_mapping(np.arange(5.0), np.arange(5.0), "spline")
