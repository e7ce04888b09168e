"""Hypothesis properties of the MOS engine: invariances, monotonic CIs, planted outliers, no silent NaN."""

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from moslab_science.mos import ScoreMatrix, bt500_screen, compute_mos, subject_zscores
from moslab_science.mos.stats import mos_stats

METHODS = ("mean", "bt500", "correlation", "zscore", "p913", "mle")
nan = np.nan


@st.composite
def studies(draw: st.DrawFn, max_stimuli: int = 12, max_subjects: int = 9) -> ScoreMatrix:
    """Integer votes on 1..5 with missing cells, sometimes with repetitions."""
    seed = draw(st.integers(0, 2**32 - 1))
    n_stimuli = draw(st.integers(2, max_stimuli))
    n_subjects = draw(st.integers(2, max_subjects))
    repetitions = draw(st.integers(1, 2))
    missing = draw(st.sampled_from([0.0, 0.2, 0.5]))
    rng = np.random.default_rng(seed)
    quality = rng.uniform(1, 5, (n_stimuli, 1, 1))
    scores = np.clip(np.round(quality + rng.normal(0, 0.8, (n_stimuli, n_subjects, repetitions))), 1, 5)
    scores[rng.random(scores.shape) < missing] = nan
    scores[:2, 0, 0] = [3.0, 2.0]  # never empty; one subject with two votes (the MLE needs one)
    return ScoreMatrix(scores, [f"e{i}" for i in range(n_stimuli)], [f"s{i}" for i in range(n_subjects)], (1, 5))


def _permuted(matrix: ScoreMatrix, rng: np.random.Generator) -> tuple[ScoreMatrix, np.ndarray, np.ndarray]:
    stimuli = rng.permutation(matrix.n_stimuli)
    subjects = rng.permutation(matrix.n_subjects)
    permuted = ScoreMatrix(
        matrix.scores[stimuli][:, subjects],
        [matrix.stimulus_ids[i] for i in stimuli],
        [matrix.subject_ids[i] for i in subjects],
        matrix.scale,
    )
    return permuted, stimuli, subjects


@settings(max_examples=40, deadline=None)
@given(
    matrix=studies(),
    seed=st.integers(0, 1000),
    method=st.sampled_from(METHODS),
    mode=st.sampled_from(["default", "sureal"]),
)
def test_permuting_subjects_and_stimuli_permutes_the_result(matrix, seed, method, mode) -> None:
    original = compute_mos(matrix, method, mode)
    permuted_matrix, stimuli, subjects = _permuted(matrix, np.random.default_rng(seed))
    permuted = compute_mos(permuted_matrix, method, mode)
    # In designs too small for the subject model an inconsistency collapses towards the
    # floor, where the weights, and so the estimates, depend on rounding: not compared.
    degenerate = {"mle_inconsistency_floored", "mle_not_converged"}
    assume(not degenerate & {w.code for w in original.warnings + permuted.warnings})
    tolerance = 1e-7 if method == "mle" else 1e-9
    np.testing.assert_allclose(permuted.mos, original.mos[stimuli], atol=tolerance, equal_nan=True)
    np.testing.assert_allclose(permuted.ci95, original.ci95[stimuli], atol=tolerance, equal_nan=True)
    np.testing.assert_array_equal(permuted.n, original.n[stimuli])
    assert set(permuted.rejected_subjects) == set(original.rejected_subjects)
    if original.bias is not None:
        np.testing.assert_allclose(permuted.bias, original.bias[subjects], atol=tolerance, equal_nan=True)


@settings(max_examples=40, deadline=None)
@given(matrix=studies(), seed=st.integers(0, 1000))
def test_zscores_ignore_each_subjects_shift_and_positive_scale(matrix, seed) -> None:
    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.2, 5.0, matrix.n_subjects)
    shift = rng.uniform(-10, 10, matrix.n_subjects)
    transformed = matrix.scores * scale[None, :, None] + shift[None, :, None]
    np.testing.assert_allclose(
        subject_zscores(transformed).scores, subject_zscores(matrix.scores).scores, atol=1e-9, equal_nan=True
    )


@settings(max_examples=40, deadline=None)
@given(matrix=studies())
def test_each_subject_zscores_to_mean_zero_and_unit_std(matrix) -> None:
    zscores = subject_zscores(matrix.scores)
    votes = np.moveaxis(zscores.scores, 1, 0).reshape(matrix.n_subjects, -1)
    usable = ~zscores.excluded
    np.testing.assert_allclose(np.nanmean(votes[usable], axis=1), 0, atol=1e-9)
    np.testing.assert_allclose(np.nanstd(votes[usable], axis=1, ddof=1), 1, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(matrix=studies(), extra=st.integers(1, 3))
def test_more_raters_with_the_same_opinions_shrink_the_ci(matrix, extra) -> None:
    # Adding copies of the panel keeps the MOS and shrinks both half-widths: for n votes
    # with spread SS, t(n-1) sqrt(SS / (n (n-1))) falls as the copies raise n and SS alike.
    before = mos_stats(matrix.scores)
    after = mos_stats(np.concatenate([matrix.scores] * (extra + 1), axis=1))
    varied = before.std > 0
    np.testing.assert_allclose(after.mos, before.mos, equal_nan=True)
    assert np.all(after.ci95_t[varied] < before.ci95_t[varied])
    assert np.all(after.ci95_normal[varied] < before.ci95_normal[varied])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_stimuli=st.integers(40, 80), n_regular=st.integers(15, 30))
def test_a_planted_outlier_subject_is_rejected(seed, n_stimuli, n_regular) -> None:
    # On every stimulus the regular subjects share the votes q - 10 ... q + 10 (evenly
    # spaced, in random order) and the planted subject votes q + 18 or q - 18 in turn:
    # for 15..30 regular subjects beta2 stays in 2..4 and 18 exceeds 2 sigma (ddof 0 or 1),
    # so the planted subject is a P on half the stimuli and a Q on the other half.
    rng = np.random.default_rng(seed)
    quality = rng.uniform(30, 70, n_stimuli)
    spaced = np.linspace(-10, 10, n_regular)
    regular = quality[:, None] + rng.permuted(np.tile(spaced, (n_stimuli, 1)), axis=1)
    planted = quality + 18 * np.where(np.arange(n_stimuli) % 2 == 0, 1.0, -1.0)
    scores = np.hstack([regular, planted[:, None]])[:, :, None]
    for mode in ("default", "sureal"):
        screening = bt500_screen(scores, mode=mode)
        assert screening.rejected[-1]
        assert not screening.rejected[:-1].any()


@settings(max_examples=40, deadline=None)
@given(matrix=studies(), n_flat=st.integers(1, 20), flat_value=st.integers(1, 5))
def test_unanimous_stimuli_change_no_default_mode_decision(matrix, n_flat, flat_value) -> None:
    flat = np.full((n_flat, matrix.n_subjects, matrix.n_repetitions), nan)
    flat[:, :, 0] = flat_value
    with_flat = np.concatenate([matrix.scores, flat], axis=0)
    before = bt500_screen(matrix.scores, mode="default")
    after = bt500_screen(with_flat, mode="default")
    np.testing.assert_array_equal(after.rejected, before.rejected)
    np.testing.assert_array_equal(after.p, before.p)
    np.testing.assert_array_equal(after.votes_considered, before.votes_considered)


@settings(max_examples=60, deadline=None)
@given(
    matrix=studies(max_stimuli=8, max_subjects=6),
    method=st.sampled_from(METHODS),
    mode=st.sampled_from(["default", "sureal"]),
)
def test_every_null_in_a_result_is_explained_by_a_warning(matrix, method, mode) -> None:
    result = compute_mos(matrix, method, mode)
    warned_stimuli = {s for w in result.warnings for s in w.stimuli}
    warned_subjects = {s for w in result.warnings for s in w.subjects}
    fields = [result.mos, result.ci95] + ([result.std] if result.std is not None else [])
    for values in fields:
        assert {result.stimulus_ids[i] for i in np.flatnonzero(np.isnan(values))} <= warned_stimuli
    for values in (result.bias, result.inconsistency):
        if values is not None:
            assert {result.subject_ids[i] for i in np.flatnonzero(np.isnan(values))} <= warned_subjects
