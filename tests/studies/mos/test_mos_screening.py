"""BT.500 and correlation screening on hand-computed cases: default mode against sureal mode."""

import numpy as np
import pytest
from scipy import stats

from moslab_science.mos import MosInputError, ScoreMatrix, bt500_screen, compute_mos, correlation_screen

nan = np.nan


def test_sample_std_decides_a_borderline_vote() -> None:
    # votes 1,1,1,2,2,5: mean 2, deviations -1,-1,-1,0,0,3; m2 = 12/6 = 2, m4 = 84/6 = 14,
    # beta2 = 14 / 2^2 = 3.5 (normal-like, k = 2). ddof 0: 2 sqrt(2) = 2.83 <= 3, so the 5 is a P;
    # ddof 1: 2 sqrt(12/5) = 3.10 > 3, so it is not.
    scores = np.array([[1.0, 1, 1, 2, 2, 5]])
    assert bt500_screen(scores[:, :, None], mode="sureal").p.tolist() == [0, 0, 0, 0, 0, 1]
    assert bt500_screen(scores[:, :, None], mode="default").p.tolist() == [0] * 6
    assert bt500_screen(scores[:, :, None], mode="default").kurtosis[0] == pytest.approx(3.5)


def _flat_stimuli_study() -> ScoreMatrix:
    # Ten stimuli voted 2,3,3,4 (deviations -1,0,0,1: m2 = m4 = 1/2, beta2 = 2, k = 2, and
    # no vote is 2 sigma away), then two stimuli voted 3,3 by s1 and s2 only.
    varied = np.tile([2.0, 3, 3, 4], (10, 1))
    flat = np.array([[3.0, 3, nan, nan], [3.0, 3, nan, nan]])
    return ScoreMatrix(np.vstack([varied, flat]), tuple("abcdefghijkl"), ("s1", "s2", "s3", "s4"), (1, 5))


def test_sureal_mode_counts_every_voter_on_a_flat_stimulus_as_p_and_q() -> None:
    # s1 and s2: P = Q = 2 over 12 stimuli: (P+Q)/12 = 0.33 > 0.05 and |P-Q|/(P+Q) = 0 < 0.3.
    result = compute_mos(_flat_stimuli_study(), "bt500", "sureal")
    assert result.rejected_subjects == ("s1", "s2")
    assert result.p.tolist() == [2, 2, 0, 0] and result.q.tolist() == [2, 2, 0, 0]
    assert "bt500_flat_stimuli_counted" in {w.code for w in result.warnings}


def test_default_mode_skips_flat_stimuli_and_rejects_nobody() -> None:
    result = compute_mos(_flat_stimuli_study(), "bt500", "default")
    assert result.rejected_subjects == ()
    skipped = next(w for w in result.warnings if w.code == "bt500_stimuli_not_screened")
    assert skipped.stimuli == ("k", "l")
    screening = bt500_screen(_flat_stimuli_study().scores, mode="default")
    assert screening.votes_considered.tolist() == [10, 10, 10, 10]


def test_default_denominator_counts_only_the_votes_a_subject_cast() -> None:
    # A subject who rated 4 of 100 stimuli, 18 points off the quality on each, alternately up
    # and down; 20 regular subjects with uniform noise of +-10 (so beta2 stays in 2..4 and the
    # planted votes are more than 2 sigma out). Seeded: all four planted votes count.
    rng = np.random.default_rng(0)
    n_stimuli, n_regular = 100, 20
    quality = rng.uniform(30, 70, n_stimuli)
    regular = quality[:, None] + rng.uniform(-10, 10, (n_stimuli, n_regular))
    partial = np.full((n_stimuli, 1), nan)
    partial[:4, 0] = quality[:4] + 18 * np.array([1, -1, 1, -1])
    matrix = ScoreMatrix(
        np.hstack([regular, partial]),
        [f"e{i}" for i in range(n_stimuli)],
        [f"s{i}" for i in range(n_regular)] + ["partial"],
        (0, 100),
    )
    sureal = bt500_screen(matrix.scores, mode="sureal")
    default = bt500_screen(matrix.scores, mode="default")
    assert (default.p[-1], default.q[-1]) == (sureal.p[-1], sureal.q[-1]) == (2, 2)
    assert default.votes_considered[-1] == 4 and sureal.votes_considered[-1] == 100
    assert default.rejected[-1] and "rejected" in default.reasons[-1]  # 4/4 > 5%
    assert not sureal.rejected[-1]  # 4/100 <= 5%: sureal under-rejects partial raters
    assert not default.rejected[:-1].any() and not sureal.rejected[:-1].any()


def test_rejection_rule_follows_its_definition() -> None:
    rng = np.random.default_rng(3)
    scores = np.clip(np.round(rng.normal(3, 1.2, (40, 12, 1))), 1, 5)
    for mode in ("default", "sureal"):
        screening = bt500_screen(scores, mode=mode)
        total = screening.p + screening.q
        np.testing.assert_allclose(screening.outlier_fraction, total / screening.votes_considered)
        rule = (total / screening.votes_considered > 0.05) & (np.abs(screening.p - screening.q) < 0.3 * total)
        np.testing.assert_array_equal(screening.rejected, rule & ~rule.all())


def test_every_subject_rejected_means_none_rejected() -> None:
    # Every stimulus is flat in sureal mode: every subject gets P = Q = number of stimuli.
    matrix = ScoreMatrix(np.full((3, 4), 2.0), ("a", "b", "c"), ("s1", "s2", "s3", "s4"), (1, 5))
    result = compute_mos(matrix, "bt500", "sureal")
    assert result.rejected_subjects == ()
    assert "bt500_all_rejected" in {w.code for w in result.warnings}
    assert all("none is rejected" in reason for reason in result.reasons)


def test_correlation_with_the_others_by_hand() -> None:
    # s3 is s1 reversed. The others of s3 average to 1,2,3,4: r = -1. The others of s1
    # (s2 and s3) average to 2.5 everywhere: r is undefined and s1 is kept.
    scores = np.array([[1.0, 1, 4], [2.0, 2, 3], [3.0, 3, 2], [4.0, 4, 1]])[:, :, None]
    screening = correlation_screen(scores, statistic="pearson", reference="others", threshold=0.75)
    assert screening.correlations.pearson[2] == pytest.approx(-1.0)
    assert np.isnan(screening.correlations.pearson[0])
    assert screening.rejected.tolist() == [False, False, True]
    assert "undefined" in screening.reasons[0]
    everyone = correlation_screen(scores, reference="all", threshold=0.75)
    assert everyone.correlations.pearson[0] == pytest.approx(1.0)  # MOS 2, 7/3, 8/3, 3


@pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")
def test_correlations_match_a_per_subject_loop_with_missing_votes() -> None:
    rng = np.random.default_rng(11)
    scores = np.round(rng.uniform(1, 5, (25, 6, 2)))
    scores[rng.random(scores.shape) < 0.3] = nan
    screening = correlation_screen(scores, reference="others")
    cells = np.nanmean(scores, axis=2)
    for s in range(cells.shape[1]):
        others = np.nanmean(np.delete(cells, s, axis=1), axis=1)
        both = ~np.isnan(cells[:, s]) & ~np.isnan(others)
        expected_r = np.corrcoef(cells[both, s], others[both])[0, 1]
        expected_rho = stats.spearmanr(cells[both, s], others[both]).statistic
        assert screening.correlations.pearson[s] == pytest.approx(expected_r, abs=1e-12)
        assert screening.correlations.spearman[s] == pytest.approx(expected_rho, abs=1e-12)


def test_correlation_screen_rejects_bad_arguments() -> None:
    scores = np.ones((4, 3, 1))
    with pytest.raises(MosInputError, match="threshold must be a correlation"):
        correlation_screen(scores, threshold=2.0)
    with pytest.raises(MosInputError, match="unknown statistic"):
        correlation_screen(scores, statistic="kendall")  # type: ignore[arg-type]
