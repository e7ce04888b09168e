"""Rank groups from a paired bootstrap: separable models get their own rank, inseparable ones share it."""
import numpy as np
import pytest

from moslab_science.charts.leaderboard import BEST_FILL, ModelResult, leaderboard
from moslab_science.metrics.errors import MetricsInputError
from moslab_science.metrics.evaluation import evaluate_predictions
from moslab_science.metrics.fits import fit_mapping
from moslab_science.metrics.ranking import MIN_RANKING_ITEMS, ScoredPart, lower_is_better, rank_models


def noisy(mos, noise, seed):
    return mos + np.random.default_rng(seed).normal(0, noise, mos.size)


def mos_of(n, seed=0):
    return np.random.default_rng(seed).uniform(1, 5, n)


def test_clearly_different_models_get_their_own_rank_and_the_top_one_is_best():
    mos = mos_of(80)
    part = ScoredPart({"weak": noisy(mos, 3.0, 1), "strong": noisy(mos, 0.2, 2), "middle": noisy(mos, 1.0, 3)}, mos)
    ranking = rank_models([part], seed=0)
    assert [(m.model, m.group) for m in ranking.models] == [("strong", 1), ("middle", 2), ("weak", 3)]
    assert ranking.top_separable and ranking.best == "strong"
    assert ranking.models[1].difference_ci95.low > 0  # strong beats middle on every reading of the interval
    assert all(m.ci95.low <= m.value <= m.ci95.high for m in ranking.models)
    assert not ranking.warnings and ranking.n == 80 and ranking.resamples == 2000


def test_models_the_paired_test_cannot_separate_share_the_first_rank_and_none_is_best():
    mos = mos_of(60)
    # two models of the same quality (independent noise of one size), a third clearly worse
    part = ScoredPart({"a": noisy(mos, 0.8, 11), "b": noisy(mos, 0.8, 12), "c": noisy(mos, 4.0, 13)}, mos)
    ranking = rank_models([part], seed=0)
    top = [m for m in ranking.models if m.group == 1]
    assert {m.model for m in top} == {"a", "b"} and ranking.group_of("c") == 2
    assert not ranking.top_separable and ranking.best is None
    follower = top[1]
    assert follower.difference_ci95.low <= 0 <= follower.difference_ci95.high
    # the leaderboard paints no best cell and says why
    evaluations = {m: [evaluate_predictions(p, mos, resamples=50)] for m, p in part.predictions.items()}
    chart = leaderboard([ModelResult(m, e) for m, e in evaluations.items()], protocol="", ranking=ranking)
    assert [row[0] for row in chart.rows] == [1, 1, 2] and not any(row[3] for row in chart.rows)
    assert BEST_FILL not in {fill for column in chart.figure["data"][0]["cells"]["fill"]["color"] for fill in column}
    assert "cannot be told apart" in chart.note


def test_the_same_seed_gives_the_same_ranking_and_resamples_are_joint():
    mos = mos_of(40)
    part = ScoredPart({"a": noisy(mos, 0.9, 1), "b": noisy(mos, 1.0, 2)}, mos)
    first, again = rank_models([part], seed=5), rank_models([part], seed=5)
    assert first == again
    # jointly resampled, two identical models never differ: same group, a zero-width difference interval
    same = rank_models([ScoredPart({"x": part.predictions["a"], "y": part.predictions["a"].copy()}, mos)])
    assert [m.group for m in same.models] == [1, 1] and same.models[1].difference_ci95.low == 0 == \
        same.models[1].difference_ci95.high


def test_lower_is_better_measures_are_ranked_on_their_sign_corrected_scores():
    mos = mos_of(60)
    raw_niqe = -noisy(mos, 0.3, 4)  # a good lower-is-better measure: its raw SRCC is strongly negative
    part = ScoredPart({"niqe": raw_niqe, "other": noisy(mos, 1.5, 5)}, mos)
    ranking = rank_models([part], lower_is_better_models=["niqe"])
    assert ranking.models[0].model == "niqe" and ranking.models[0].value > 0.9 and ranking.models[0].sign_corrected
    unflagged = rank_models([part])
    assert unflagged.models[-1].model == "niqe" and unflagged.models[-1].value < -0.9
    assert any("sign-corrected" in text for text in ranking.warnings)
    assert lower_is_better("niqe") and lower_is_better("BRISQUE (run #3)") and lower_is_better("niqe-raw")
    assert not lower_is_better("effnet-lite") and not lower_is_better("neg-niqe")


def test_repeats_are_ranked_on_the_mean_over_their_test_parts():
    parts = []
    for repeat in range(3):
        mos = mos_of(40, seed=repeat)
        parts.append(ScoredPart({"a": noisy(mos, 0.3, 10 + repeat), "b": noisy(mos, 2.0, 20 + repeat)}, mos))
    ranking = rank_models(parts, metric="plcc", seed=1)
    expected = np.mean([np.corrcoef(part.predictions["a"], part.mos)[0, 1] for part in parts])
    assert ranking.models[0].model == "a" and ranking.models[0].value == pytest.approx(expected)
    missing = rank_models([parts[0], ScoredPart({"a": parts[1].predictions["a"]}, parts[1].mos)])
    assert [m.model for m in missing.models] == ["a"], "a model without a prediction on one part is not ranked"


@pytest.mark.parametrize("metric", ["srcc", "krcc", "ntire2024", "vquala2025"])
def test_every_ranking_metric_separates_a_good_model_from_noise(metric):
    mos = mos_of(50)
    ranking = rank_models([ScoredPart({"noise": mos_of(50, seed=9), "good": noisy(mos, 0.3, 6)}, mos)],
                          metric=metric, resamples=300)
    assert ranking.best == "good"


def test_a_small_test_part_is_ranked_with_a_warning_and_bad_input_is_refused():
    mos = mos_of(MIN_RANKING_ITEMS - 1)
    ranking = rank_models([ScoredPart({"a": noisy(mos, 0.5, 1), "b": noisy(mos, 0.6, 2)}, mos)])
    assert any(f"only {MIN_RANKING_ITEMS - 1} items" in text for text in ranking.warnings)
    with pytest.raises(MetricsInputError, match="cannot rank on"):
        rank_models([ScoredPart({"a": mos}, mos)], metric="rmse")
    with pytest.raises(MetricsInputError, match="constant predictions"):
        rank_models([ScoredPart({"flat": np.full(mos.size, 3.0)}, mos)])


def test_a_logistic_that_collapses_into_a_step_is_marked_and_shown_on_the_leaderboard():
    pred = np.array([0.1, 0.11, 0.12, 0.13, 0.9, 0.91, 0.92, 0.93])
    mos = np.array([1.2, 1.5, 1.1, 1.4, 4.2, 4.6, 4.4, 4.1])
    step = fit_mapping(pred, mos, "logistic4")
    assert step.converged and step.step and "collapsed into a step" in step.message
    smooth = fit_mapping(noisy(mos_of(50), 0.5, 1), mos_of(50), "logistic4")
    assert not smooth.step and smooth.as_dict()["step"] is False
    evaluation = evaluate_predictions(pred, mos, resamples=0)
    assert "fit_step" in {warning.code for warning in evaluation.warnings}
    ranking = rank_models([ScoredPart({"stepped": pred}, mos)], resamples=200)
    chart = leaderboard([ModelResult("stepped", [evaluation])], protocol="", ranking=ranking)
    assert chart.rows[0][chart.columns.index("fit_notes")] == "logistic4 collapsed into a step"


def test_an_uploaded_raw_niqe_file_is_ranked_on_minus_niqe_and_marked():
    from moslab_science.charts.pages import comparison_dashboard

    mos = mos_of(60)
    results = {"niqe": (-noisy(mos, 0.3, 7), mos), "other": (noisy(mos, 1.5, 8), mos)}
    chart = comparison_dashboard(results, [{}] * 60, protocol="", resamples=0)[0]
    rows = {row[1]: row for row in chart.rows}
    assert rows["niqe"][0] == 1 and rows["niqe"][chart.columns.index("lower_is_better")] is True
    assert rows["niqe"][chart.columns.index("srcc_mean")] < -0.9, "the table shows the raw SRCC; the rank reads -NIQE"
    assert "Ranked on sign-corrected scores" in chart.note
