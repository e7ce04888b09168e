"""The MLE subject model: its likelihood equations, special cases and recovery of planted parameters."""

import numpy as np
import pytest
from scipy import stats

from moslab_science.mos import MosInputError, ScoreMatrix, compute_mos, fit_subject_model, p913_bias_removal
from moslab_science.mos.stats import NORMAL_Z95

nan = np.nan


def _simulated(
    seed: int, n_stimuli: int, n_subjects: int, missing: float = 0.0, spread: tuple[float, float] = (0.2, 1.0)
) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    quality = rng.uniform(1.5, 4.5, n_stimuli)
    bias = rng.normal(0, 0.4, n_subjects)
    bias -= bias.mean()
    inconsistency = rng.uniform(*spread, n_subjects)
    scores = quality[:, None] + bias[None, :] + rng.normal(0, 1, (n_stimuli, n_subjects)) * inconsistency
    scores[rng.random(scores.shape) < missing] = nan
    return scores[:, :, None], quality, bias, inconsistency


def test_the_plain_fit_satisfies_the_likelihood_equations_with_missing_votes() -> None:
    scores, *_ = _simulated(1, 60, 12, missing=0.3, spread=(0.5, 1.0))
    fit = fit_subject_model(scores, moderated=False)
    assert fit.converged
    x = scores[:, :, 0]
    residual = x - fit.quality[:, None] - fit.bias[None, :]
    np.testing.assert_allclose(np.nanmean(residual, axis=0), 0, atol=1e-9)  # d/d b_s
    np.testing.assert_allclose(np.sqrt(np.nanmean(residual**2, axis=0)), fit.inconsistency, rtol=1e-9)  # d/d v_s
    weights = np.where(np.isnan(x), 0, 1 / fit.inconsistency**2)
    np.testing.assert_allclose(np.nansum(residual * weights, axis=1), 0, atol=1e-8)  # d/d x_e
    assert fit.bias.mean() == pytest.approx(0, abs=1e-12)


def test_the_default_fit_moderates_each_inconsistency() -> None:
    # v^2 = (RSS + s0^2) / (n - h + 1): residual degrees of freedom plus one pseudo-vote at
    # the pooled residual variance s0^2 = sum RSS / sum (n - h).
    scores, *_ = _simulated(1, 60, 12, missing=0.3)
    fit = fit_subject_model(scores)
    x = scores[:, :, 0]
    rated = ~np.isnan(x)
    weight = 1 / fit.inconsistency**2
    leverage = np.where(rated, weight[None, :] / (rated @ weight)[:, None], 0).sum(axis=0)
    residual = x - fit.quality[:, None] - fit.bias[None, :]
    squares = np.nansum(residual**2, axis=0)
    freedom = rated.sum(axis=0) - leverage
    expected = np.sqrt((squares + squares.sum() / freedom.sum()) / (freedom + 1))
    np.testing.assert_allclose(fit.inconsistency, expected, rtol=1e-9)
    np.testing.assert_allclose(np.nansum(residual * np.where(rated, weight, 0), axis=1), 0, atol=1e-8)


def test_a_subject_the_model_fits_exactly_stays_off_zero_in_the_default_mode() -> None:
    # s4 votes 4, 2, 4, 4: the qualities plus a bias reproduce it exactly, so the plain MLE
    # drives its inconsistency to the floor; the pseudo-vote keeps it positive, and the fit converges.
    scores = np.array(
        [
            [3.0, 4, 4, 4, 4, 3, 5, 5, 4],
            [2.0, 3, 2, 1, 2, 2, 1, 2, 2],
            [4.0, 4, 2, 3, 4, 2, 3, 4, 4],
            [4.0, 3, 4, 4, 4, 3, 5, 3, 3],
        ]
    )[:, :, None]
    plain = fit_subject_model(scores, moderated=False)
    moderated = fit_subject_model(scores)
    assert plain.floored[4] and not moderated.floored.any()
    assert moderated.converged and moderated.inconsistency[4] > 0.1


def test_a_very_consistent_subject_collapses_only_without_the_correction() -> None:
    # Subject 4 (v = 0.24 among 0.37..0.97): the plain MLE, like sureal, sends its v to 0.
    scores, _, _, inconsistency = _simulated(4, 400, 15, missing=0.2)
    plain = fit_subject_model(scores, moderated=False)
    corrected = fit_subject_model(scores)
    assert plain.floored.tolist() == [i == 4 for i in range(15)]
    assert not corrected.floored.any()
    assert np.max(np.abs(corrected.inconsistency - inconsistency) / inconsistency) < 0.15


def test_complete_design_bias_equals_the_p913_bias() -> None:
    # With every vote present b_s = mean_e(X_es) - mean_e(x_e), which after centring is
    # mean_e(X_es) - mean_es(X): exactly P.913's mean offset from the MOS.
    scores, *_ = _simulated(2, 40, 8)
    np.testing.assert_allclose(fit_subject_model(scores).bias, p913_bias_removal(scores).bias, atol=1e-10)


def test_equally_consistent_subjects_give_the_plain_mos() -> None:
    # Subject s adds b_s and +-noise to a common pattern (signs +, -, +, -): every residual
    # is +-noise, the weights are equal, the quality is the plain MOS (biases centred) and
    # v^2 is sum(noise^2) over 5 votes (plain) or over 5 - 5/4 (each vote's leverage is 1/4).
    pattern = np.array([1.0, 3.0, 2.0, 5.0, 4.0])
    noise = np.array([0.3, -0.3, 0.0, 0.3, -0.3])
    scores = pattern[:, None] + np.array([0.0, 0.5, -0.2, 0.1])[None, :] + np.outer(noise, [1, -1, 1, -1])
    for corrected, divisor in ((False, 5), (True, 5 - 5 / 4)):
        fit = fit_subject_model(scores[:, :, None], moderated=corrected)
        np.testing.assert_allclose(fit.quality, scores.mean(axis=1), atol=1e-10)
        np.testing.assert_allclose(fit.inconsistency, np.sqrt(np.sum(noise**2) / divisor), rtol=1e-9)


def test_fisher_information_intervals_by_their_formulas() -> None:
    scores, *_ = _simulated(3, 30, 6, missing=0.2)
    fit = fit_subject_model(scores)
    counts = np.sum(~np.isnan(scores[:, :, 0]), axis=0)
    rated = ~np.isnan(scores[:, :, 0])
    np.testing.assert_allclose(fit.quality_ci95, NORMAL_Z95 / np.sqrt(rated @ (1 / fit.inconsistency**2)))
    np.testing.assert_allclose(fit.bias_ci95, NORMAL_Z95 * fit.inconsistency / np.sqrt(counts))
    below = fit.inconsistency * (1 - np.sqrt(counts / stats.chi2.ppf(0.975, counts)))
    np.testing.assert_allclose(fit.inconsistency_ci95[:, 0], below)


def test_planted_parameters_are_recovered() -> None:
    scores, quality, bias, inconsistency = _simulated(6, 400, 15, missing=0.2)
    fit = fit_subject_model(scores)
    assert np.max(np.abs(fit.quality - quality) / fit.quality_ci95) < 4.5  # within their CIs
    assert np.max(np.abs(fit.bias - bias)) < 0.15
    assert np.max(np.abs(fit.inconsistency - inconsistency) / inconsistency) < 0.15


def test_subjects_with_one_vote_are_left_out_and_warned() -> None:
    scores, *_ = _simulated(5, 20, 5)
    lonely = np.full((20, 1, 1), nan)
    lonely[3] = 2.0
    matrix = ScoreMatrix(
        np.concatenate([scores, lonely], axis=1),
        [f"e{i}" for i in range(20)],
        ["s0", "s1", "s2", "s3", "s4", "once"],
        (-5, 10),
    )
    result = compute_mos(matrix, "mle")
    assert np.isnan(result.bias[-1]) and np.isnan(result.inconsistency[-1])
    assert not np.isnan(result.bias[:-1]).any()
    excluded = next(w for w in result.warnings if w.code == "mle_subjects_excluded")
    assert excluded.subjects == ("once",)
    assert result.std is None and result.as_dict()["stimuli"]["e0"]["std"] is None


def test_a_subject_matching_the_model_exactly_is_floored_and_warned() -> None:
    # Two stimuli, two subjects: the residuals are zero, the likelihood is unbounded.
    matrix = ScoreMatrix(np.array([[1.0, 2.0], [3.0, 4.0]]), ("a", "b"), ("s1", "s2"), (0, 5))
    result = compute_mos(matrix, "mle")
    assert "mle_inconsistency_floored" in {w.code for w in result.warnings}
    np.testing.assert_allclose(result.mos, [1.5, 3.5])
    np.testing.assert_allclose(result.bias, [-0.5, 0.5])


def test_fit_requires_votes_everywhere() -> None:
    with pytest.raises(MosInputError, match="needs a vote on every stimulus"):
        fit_subject_model(np.array([[[1.0], [2.0]], [[nan], [nan]]]))
