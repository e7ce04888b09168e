"""Plain MOS, z-scores, P.913 bias removal and the engine's arguments, on hand-computed cases."""

import numpy as np
import pytest
from scipy import stats

from moslab_science.mos import MosInputError, ScoreMatrix, compute_mos, mos_stats, p913_bias_removal, subject_zscores
from moslab_science.mos.normalization import rescale_zscores
from moslab_science.mos.stats import NORMAL_Z95, SUREAL_Z95

nan = np.nan


def test_plain_mos_by_hand() -> None:
    # votes 1, 2, 3 (one on a repetition): mean 2, std 1, n 3; votes 4: n 1, no std
    scores = np.array([[[1.0, 3.0], [2.0, nan]], [[4.0, nan], [nan, nan]]])
    summary = mos_stats(scores)
    assert summary.mos.tolist() == [2.0, 4.0]
    assert summary.n.tolist() == [3, 1]
    assert summary.std[0] == pytest.approx(1.0) and np.isnan(summary.std[1])
    assert summary.ci95_normal[0] == pytest.approx(NORMAL_Z95 / np.sqrt(3))
    assert summary.ci95_t[0] == pytest.approx(stats.t.ppf(0.975, 2) / np.sqrt(3))
    assert np.isnan(summary.ci95_t[1]) and np.isnan(summary.ci95_normal[1])


def test_modes_choose_the_interval() -> None:
    matrix = ScoreMatrix(np.array([[1.0, 2.0, 3.0]]), ("a",), ("s1", "s2", "s3"), (1, 5))
    assert compute_mos(matrix, "mean", "default").ci95[0] == pytest.approx(stats.t.ppf(0.975, 2) / np.sqrt(3))
    assert compute_mos(matrix, "mean", "sureal").ci95[0] == pytest.approx(SUREAL_Z95 / np.sqrt(3))
    assert compute_mos(matrix, "mean", "default", ci="normal").ci95[0] == pytest.approx(NORMAL_Z95 / np.sqrt(3))


def test_subject_zscores_by_hand() -> None:
    # s1 voted 1, 2, 3: mean 2, std 1 -> -1, 0, 1. s2 voted 2, 4, nan: mean 3, std sqrt(2)
    scores = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, nan]])[:, :, None]
    zscores = subject_zscores(scores)
    np.testing.assert_allclose(zscores.scores[:, 0, 0], [-1, 0, 1])
    np.testing.assert_allclose(zscores.scores[:2, 1, 0], [-1 / np.sqrt(2), 1 / np.sqrt(2)])
    assert zscores.subject_mean.tolist() == [2.0, 3.0]


def test_three_sigma_rescale_maps_minus_three_and_three_onto_the_scale_ends() -> None:
    z = np.array([-3.0, 0.0, 3.0])
    np.testing.assert_allclose(rescale_zscores(z, z, scale=(1, 5), method="three_sigma"), [1, 3, 5])
    np.testing.assert_allclose(rescale_zscores(z, z / 2, scale=(0, 100), method="minmax"), [-50, 50, 150])
    with pytest.raises(MosInputError, match="unknown rescale"):
        rescale_zscores(z, z, scale=(1, 5), method="log")  # type: ignore[arg-type]


def test_rescaled_zscore_mos_is_a_line_of_the_zscore_mos() -> None:
    rng = np.random.default_rng(5)
    matrix = ScoreMatrix(
        np.round(rng.uniform(1, 5, (12, 6))), [f"e{i}" for i in range(12)], [f"s{i}" for i in range(6)], (1, 5)
    )
    plain = compute_mos(matrix, "zscore")
    rescaled = compute_mos(matrix, "zscore", rescale="three_sigma")
    np.testing.assert_allclose(rescaled.mos, 1 + 4 * (plain.mos + 3) / 6)
    np.testing.assert_allclose(rescaled.ci95, plain.ci95 * 4 / 6)
    minmax = compute_mos(matrix, "zscore", rescale="minmax")
    assert np.nanmin(minmax.mos) == pytest.approx(1) and np.nanmax(minmax.mos) == pytest.approx(5)


def test_p913_bias_by_hand() -> None:
    # MOS 2 and 4; s1 voted 1, 3 (offset -1 twice), s2 voted 3, 5 (offset +1 twice)
    removal = p913_bias_removal(np.array([[1.0, 3.0], [3.0, 5.0]])[:, :, None])
    np.testing.assert_allclose(removal.bias, [-1.0, 1.0])
    np.testing.assert_allclose(removal.scores[:, :, 0], [[2, 2], [4, 4]])


def test_engine_rejects_unknown_methods_modes_and_parameters() -> None:
    matrix = ScoreMatrix(np.array([[1.0, 2.0]]), ("a",), ("s1", "s2"), (1, 5))
    with pytest.raises(MosInputError, match="unknown method 'median'"):
        compute_mos(matrix, "median")  # type: ignore[arg-type]
    with pytest.raises(MosInputError, match="unknown mode 'strict'"):
        compute_mos(matrix, "mean", "strict")  # type: ignore[arg-type]
    with pytest.raises(MosInputError, match="method 'mean' takes no parameter rescale"):
        compute_mos(matrix, "mean", rescale="minmax")
    with pytest.raises(MosInputError, match="ci must be 't' or 'normal'"):
        compute_mos(matrix, "bt500", ci="bootstrap")


def test_rejected_votes_leave_the_mos_and_stimuli_that_lose_them_are_warned() -> None:
    # The sureal-mode flat-stimulus rule rejects s1 and s2; stimulus x was rated by them only.
    varied = np.tile([2.0, 3, 3, 4], (10, 1))
    flat = np.array([[3.0, 3, nan, nan], [3.0, 3, nan, nan]])
    matrix = ScoreMatrix(
        np.vstack([varied, flat]), [f"e{i}" for i in range(10)] + ["x", "y"], ("s1", "s2", "s3", "s4"), (1, 5)
    )
    result = compute_mos(matrix, "bt500", "sureal")
    assert result.rejected_subjects == ("s1", "s2")
    assert np.isnan(result.mos[-2:]).all() and result.n[-2:].tolist() == [0, 0]
    lost = next(w for w in result.warnings if w.code == "stimuli_lost_all_votes")
    assert lost.stimuli == ("x", "y")
    np.testing.assert_allclose(result.mos[:10], 3.5)  # s3 and s4 voted 3 and 4
