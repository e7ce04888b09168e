"""Sureal mode against sureal 0.9.0's own outputs on four real studies (../shared/data)."""

import numpy as np
import pytest
from mos_shared_data import Oracle

from moslab_science.mos import bt500_screen, compute_mos, correlation_screen, mos_stats, subject_zscores
from moslab_science.mos.stats import SUREAL_Z95

pytestmark = pytest.mark.shared_data

EXACT = 1e-9
MLE = 1e-6


def test_plain_mos_ci_and_sos_match_sureal(oracle: Oracle) -> None:
    result = compute_mos(oracle.matrix, "mean", "sureal")
    np.testing.assert_allclose(result.mos, oracle.per_stimulus("mos_plain"), rtol=0, atol=EXACT)
    np.testing.assert_allclose(result.ci95, oracle.per_stimulus("ci95_plain"), rtol=0, atol=EXACT)
    np.testing.assert_allclose(result.std, oracle.per_stimulus("sos_plain"), rtol=0, atol=EXACT)


def test_bt500_rejects_exactly_the_subjects_sureal_rejects(oracle: Oracle) -> None:
    result = compute_mos(oracle.matrix, "bt500", "sureal")
    assert sorted(result.rejected_subjects) == sorted(oracle.data["bt500_rejected"])
    np.testing.assert_array_equal(result.p, oracle.per_subject("bt500_P"))
    np.testing.assert_array_equal(result.q, oracle.per_subject("bt500_Q"))


def test_bt500_mos_ci_and_sos_after_rejection_match_sureal(oracle: Oracle) -> None:
    result = compute_mos(oracle.matrix, "bt500", "sureal")
    np.testing.assert_allclose(result.mos, oracle.per_stimulus("mos"), rtol=0, atol=EXACT)
    np.testing.assert_allclose(result.ci95, oracle.per_stimulus("ci95"), rtol=0, atol=EXACT)
    np.testing.assert_allclose(result.std, oracle.per_stimulus("sos"), rtol=0, atol=EXACT)
    standard_error = result.std / np.sqrt(result.n)
    np.testing.assert_allclose(standard_error, oracle.per_stimulus("mos_std_err"), rtol=0, atol=EXACT)


def test_bt500_statistics_match_sureal(oracle: Oracle) -> None:
    screening = bt500_screen(oracle.matrix.scores, mode="sureal")
    fraction = oracle.per_subject("bt500_stat1_PplusQ_over_ER")
    asymmetry = oracle.per_subject("bt500_stat2_absPminusQ_over_PplusQ")
    np.testing.assert_allclose(screening.outlier_fraction, fraction, rtol=0, atol=EXACT)
    np.testing.assert_allclose(screening.asymmetry, asymmetry, rtol=0, atol=EXACT)  # NaN where P + Q = 0


def test_zero_variance_stimuli_are_reported_as_sureal_lists_them(oracle: Oracle) -> None:
    result = compute_mos(oracle.matrix, "bt500", "sureal")
    flagged = [w.stimuli for w in result.warnings if w.code == "zero_variance_stimulus"]
    assert sorted(flagged[0] if flagged else ()) == sorted(oracle.data["zero_variance_stimuli"])


def test_default_mode_bt500_matches_sureal_variant_with_sample_std_and_flat_stimuli_skipped(oracle: Oracle) -> None:
    # The oracle's variant keeps sureal's all-stimuli denominator; on these four studies the
    # denominator change of the default mode flips no decision, so the sets coincide.
    result = compute_mos(oracle.matrix, "bt500", "default")
    variant = oracle.data["bt500_variants_not_sureal"]["sample_std_ddof1_and_skip_zero_variance"]
    assert sorted(result.rejected_subjects) == sorted(variant)


def test_zscore_mos_and_ci_match_sureal(oracle: Oracle) -> None:
    result = compute_mos(oracle.matrix, "zscore", "sureal")
    np.testing.assert_allclose(result.mos, oracle.per_stimulus("zs_mos"), rtol=0, atol=EXACT)
    np.testing.assert_allclose(result.ci95, oracle.per_stimulus("zs_ci95"), rtol=0, atol=EXACT)


def test_zscore_then_bt500_screening_matches_sureal_zs_sr(oracle: Oracle) -> None:
    zscores = subject_zscores(oracle.matrix.scores).scores
    screening = bt500_screen(zscores, mode="sureal")
    rejected = [s for s, out in zip(oracle.matrix.subject_ids, screening.rejected, strict=True) if out]
    assert sorted(rejected) == sorted(oracle.data["zs_sr_rejected"])
    kept = mos_stats(zscores[:, ~screening.rejected, :], z=SUREAL_Z95)
    np.testing.assert_allclose(kept.mos, oracle.per_stimulus("zs_sr_mos"), rtol=0, atol=EXACT)


def test_p913_bias_rejection_mos_and_ci_match_sureal(oracle: Oracle) -> None:
    result = compute_mos(oracle.matrix, "p913", "sureal")
    np.testing.assert_allclose(result.bias, oracle.per_subject("p913_bias"), rtol=0, atol=EXACT)
    assert sorted(result.rejected_subjects) == sorted(oracle.data["p913_rejected"])
    np.testing.assert_allclose(result.mos, oracle.per_stimulus("p913_mos"), rtol=0, atol=EXACT)
    np.testing.assert_allclose(result.ci95, oracle.per_stimulus("p913_ci95"), rtol=0, atol=EXACT)


def test_p913_bias_removal_without_rejection_matches_sureal(oracle: Oracle) -> None:
    result = compute_mos(oracle.matrix, "p913", "sureal", reject=False)
    np.testing.assert_allclose(result.mos, oracle.per_stimulus("br_mos_no_rejection"), rtol=0, atol=EXACT)
    assert result.rejected is None


def test_mle_quality_bias_and_inconsistency_match_sureal(oracle: Oracle) -> None:
    result = compute_mos(oracle.matrix, "mle", "sureal")
    np.testing.assert_allclose(result.mos, oracle.per_stimulus("mle_quality"), rtol=0, atol=MLE)
    np.testing.assert_allclose(result.bias, oracle.per_subject("mle_bias"), rtol=0, atol=MLE)
    np.testing.assert_allclose(result.inconsistency, oracle.per_subject("mle_inconsistency"), rtol=0, atol=MLE)


def test_mle_confidence_intervals_match_sureal(oracle: Oracle) -> None:
    result = compute_mos(oracle.matrix, "mle", "sureal")
    below_above = np.array([oracle.data["mle_inconsistency_ci95_lo_hi"][s] for s in oracle.matrix.subject_ids])
    np.testing.assert_allclose(result.ci95, oracle.per_stimulus("mle_quality_ci95"), rtol=0, atol=MLE)
    np.testing.assert_allclose(result.bias_ci95, oracle.per_subject("mle_bias_ci95"), rtol=0, atol=MLE)
    np.testing.assert_allclose(result.inconsistency_ci95, below_above, rtol=0, atol=MLE)


@pytest.mark.parametrize("statistic", ["pearson", "spearman"])
def test_correlation_screening_matches_sureal_git_head(oracle: Oracle, statistic: str) -> None:
    expected = oracle.data["git_head_correlation_rejection"][statistic]
    screening = correlation_screen(oracle.matrix.scores, statistic=statistic, reference="all", threshold="adaptive")
    r = getattr(screening.correlations, statistic)
    rejected = [s for s, out in zip(oracle.matrix.subject_ids, screening.rejected, strict=True) if out]
    assert sorted(rejected) == sorted(expected["rejected"])
    np.testing.assert_allclose(r, _values(expected["corr_with_mos"], oracle), rtol=0, atol=EXACT)


def _values(mapping: dict, oracle: Oracle) -> np.ndarray:
    return np.array([mapping[s] for s in oracle.matrix.subject_ids], dtype=float)
