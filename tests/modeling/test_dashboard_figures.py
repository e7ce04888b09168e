"""Dashboard figures: the traces carry the input, curves follow the metrics module's fits, axes are labelled."""
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from moslab_science.charts.distributions import mos_histograms, mos_violins
from moslab_science.charts.groups import group_table, group_winners
from moslab_science.charts.leaderboard import ModelResult, leaderboard
from moslab_science.charts.predictions import SCATTER_FITS, metrics_table, prediction_scatter, residual_plot
from moslab_science.charts.training import training_curves
from moslab_science.metrics.evaluation import evaluate_predictions
from moslab_science.metrics.fits import fit_mapping, mapping_curve
from moslab_science.metrics.groups import evaluate_groups
from moslab_science.metrics.ranking import ScoredPart, rank_models


def sample(n=40, seed=0, noise=0.4):
    rng = np.random.default_rng(seed)
    mos = rng.uniform(1, 5, n)
    return [f"img{i:02d}" for i in range(n)], mos + rng.normal(0, noise, n) * 3 + 10, mos


def assert_labelled(figure):
    layout = figure["layout"]
    assert layout["title"]["text"].strip()
    for name in ("xaxis", "yaxis"):
        assert layout[name]["title"]["text"].strip(), f"{name} has no title"
    json.dumps(figure, allow_nan=False)


def test_scatter_traces_hold_the_input_and_every_curve_is_the_metrics_fit():
    names, pred, mos = sample()
    chart = prediction_scatter(names, pred, mos)
    points, *curves = chart.figure["data"]
    assert points["x"] == pred.tolist() and points["y"] == mos.tolist() and points["text"] == names
    assert len(curves) == len(SCATTER_FITS)
    for kind, curve in zip(SCATTER_FITS, curves, strict=True):
        fit = fit_mapping(pred, mos, kind)
        assert fit.converged
        # the drawn curve, evaluated at the items, is the mapping the metrics module fitted
        np.testing.assert_allclose(mapping_curve(fit, pred, pred), fit.mapped, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(curve["x"], np.linspace(pred.min(), pred.max(), len(curve["x"])))
        np.testing.assert_allclose(curve["y"], mapping_curve(fit, pred, np.array(curve["x"])))
    column = chart.columns.index("fitted_logistic4")
    np.testing.assert_allclose([row[column] for row in chart.rows], fit_mapping(pred, mos, "logistic4").mapped)
    assert_labelled(chart.figure)
    assert chart.figure["layout"]["yaxis"]["title"]["text"] == "MOS"


def test_a_fallen_back_fit_is_drawn_as_the_line_it_used_and_says_so():
    names = ["a", "b", "c", "d", "e", "f"]
    pred, mos = np.array([1.0, 1, 2, 2, 3, 3]), np.array([1.5, 1.0, 2.5, 2.0, 4.0, 3.5])
    chart = prediction_scatter(names, pred, mos, fits=["poly4"])
    fit = fit_mapping(pred, mos, "poly4")
    assert fit.used == "linear"
    np.testing.assert_allclose(mapping_curve(fit, pred, pred), fit.mapped)
    assert "fell back" in chart.figure["data"][1]["name"]
    assert "poly4" in chart.note


def test_residuals_are_mos_minus_the_mapped_prediction():
    names, pred, mos = sample(seed=1)
    chart = residual_plot(names, pred, mos)
    mapped = fit_mapping(pred, mos, "logistic4").mapped
    points = chart.figure["data"][0]
    np.testing.assert_allclose(points["x"], mapped)
    np.testing.assert_allclose(points["y"], mos - mapped)
    assert [row[0] for row in chart.rows] == names
    assert_labelled(chart.figure)


def test_metrics_table_reports_the_evaluation_with_scipy_agreeing():
    names, pred, mos = sample(seed=2)
    evaluation = evaluate_predictions(pred, mos, resamples=200, seed=3)
    chart = metrics_table(evaluation)
    by_name = {row[0]: row for row in chart.rows}
    assert by_name["srcc"][2] == pytest.approx(stats.spearmanr(pred, mos).statistic)
    assert by_name["plcc"][2] == pytest.approx(stats.pearsonr(pred, mos).statistic)
    assert by_name["krcc"][2] == pytest.approx(stats.kendalltau(pred, mos).statistic)
    low, high = by_name["srcc"][3], by_name["srcc"][4]
    assert low < by_name["srcc"][2] < high
    assert by_name["rmse_logistic4"][3] is None  # no bootstrap interval for RMSE: shown as a dash
    cells = chart.figure["data"][0]["cells"]["values"]
    assert cells[0][0] == "SRCC" and cells[1][0] == f"{by_name['srcc'][2]:.4f}"


def test_training_curves_carry_each_metric_per_epoch_and_leave_gaps():
    epochs = [{"epoch": 1, "train_loss": 2.0, "val_srcc": 0.31, "val_plcc": 0.4},
              {"epoch": 2, "train_loss": 1.2, "val_loss": 1.5, "val_srcc": 0.52, "val_plcc": float("nan")},
              {"epoch": 3, "train_loss": 0.9, "val_loss": 1.1, "val_srcc": 0.61, "val_plcc": 0.66}]
    chart = training_curves(epochs)
    traces = {trace["name"]: trace for trace in chart.figure["data"]}
    assert traces["training loss"]["y"] == [2.0, 1.2, 0.9]
    assert traces["validation loss"]["y"] == [None, 1.5, 1.1]
    assert traces["validation PLCC"]["y"] == [0.4, None, 0.66]
    assert traces["validation SRCC"]["yaxis"] == "y2" and traces["training loss"]["yaxis"] == "y"
    layout = chart.figure["layout"]
    assert layout["xaxis"]["title"]["text"] == "Epoch"
    assert layout["yaxis"]["title"]["text"] == "Loss" and layout["yaxis2"]["title"]["text"]
    json.dumps(chart.figure, allow_nan=False)
    with pytest.raises(ValueError, match="no epochs"):
        training_curves([])
    with pytest.raises(ValueError, match="no 'epoch' key"):
        training_curves([{"train_loss": 1.0}])


def test_leaderboard_ranks_by_srcc_and_summarises_repeats():
    names, pred, mos = sample(n=50, seed=4, noise=0.2)
    rng = np.random.default_rng(5)
    good_pred = [pred + rng.normal(0, 0.5, pred.size) for _ in range(3)]
    bad_pred = [pred + rng.normal(0, 6, pred.size) for _ in range(3)]
    good = [evaluate_predictions(p, mos, resamples=100, seed=s) for s, p in enumerate(good_pred)]
    bad = [evaluate_predictions(p, mos, resamples=100, seed=s) for s, p in enumerate(bad_pred)]
    ranking = rank_models([ScoredPart({"bad": b, "good": g}, mos) for b, g in zip(bad_pred, good_pred, strict=True)],
                          resamples=500)
    chart = leaderboard([ModelResult("bad", bad), ModelResult("good", good)], protocol="7:1:2 split, 3 repeats",
                        ranking=ranking)
    assert [row[:2] for row in chart.rows] == [(1, "good"), (2, "bad")]
    srcc_mean = chart.columns.index("srcc_mean")
    values = [e.srcc for e in good]
    assert chart.rows[0][srcc_mean] == pytest.approx(np.mean(values))
    assert ranking.models[0].value == pytest.approx(np.mean(values))  # the ranking figure is the mean over repeats
    assert chart.rows[0][srcc_mean + 1] == pytest.approx(np.std(values, ddof=1))
    assert chart.rows[0][srcc_mean + 2] == pytest.approx(np.mean([e.intervals["srcc"].low for e in good]))
    assert chart.note.startswith("7:1:2 split, 3 repeats Rank: ") and "Best: good." in chart.note
    fills = chart.figure["data"][0]["cells"]["fill"]["color"]
    header = chart.figure["data"][0]["header"]["values"]
    assert fills[header.index("<b>SRCC</b>")] == ["#d8f0dc", "#ffffff"]  # separably best: highlighted
    assert all(set(column) == {"#ffffff"} for index, column in enumerate(fills)
               if index != header.index("<b>SRCC</b>")), "only the ranking figure of the best model is highlighted"


def test_group_table_has_groups_by_models_and_bolds_only_a_separably_best_model():
    names, pred, mos = sample(n=60, seed=6, noise=0.3)
    labels = ["blur", "dark", "noise"] * 20
    rng = np.random.default_rng(7)
    other = pred + rng.normal(0, 4, pred.size)
    twin = pred + rng.normal(0, 0.01, pred.size)  # as good as A on every group: never a winner against it
    by_name = {"A": dict(zip(names, pred, strict=True)), "B": dict(zip(names, other, strict=True))}
    winners = group_winners([by_name], dict(zip(names, mos, strict=True)), dict(zip(names, labels, strict=True)))
    assert set(winners.values()) == {"A"} and len(winners) >= 4  # 20 items a group: A is not always separable
    tied = group_winners([{**by_name, "twin": dict(zip(names, twin, strict=True))}], dict(zip(names, mos, strict=True)),
                         dict(zip(names, labels, strict=True)))
    assert tied == {}, "A and its twin cannot be told apart: no group has a best model"
    chart = group_table({
        "A": evaluate_groups(pred, mos, labels, column="degradation", resamples=0),
        "B": evaluate_groups(other, mos, labels, column="degradation", resamples=0),
    }, winners=winners)
    members = np.array(labels) == "dark"
    row = next(r for r in chart.rows if r[0] == "dark" and r[1] == "B")
    assert row[chart.columns.index("srcc")] == pytest.approx(stats.spearmanr(other[members], mos[members]).statistic)
    assert row[chart.columns.index("n")] == 20
    cells = chart.figure["data"][0]["cells"]["values"]
    header = chart.figure["data"][0]["header"]["values"]
    assert cells[0] == ["blur", "dark", "noise"]
    for group_index, group in enumerate(cells[0]):
        for metric in ("PLCC", "SRCC"):
            texts = [cells[header.index(f"<b>{model}<br>{metric}</b>")][group_index] for model in "AB"]
            assert texts[0].startswith("<b>") == ((group, metric.lower()) in winners)
            assert not texts[1].startswith("<b>")
    unpainted = group_table({"A": evaluate_groups(pred, mos, labels, column="degradation", resamples=0)})
    assert not any(text.startswith("<b>") for column in unpainted.figure["data"][0]["cells"]["values"][2:]
                   for text in column), "no winners given: nothing painted"


def test_group_table_lists_groups_without_figures_and_why():
    pred, mos = np.array([1.0, 2, 3, 4, 5, 6]), np.array([1.0, 2, 2.5, 4, 4.5, 5])
    chart = group_table({"A": evaluate_groups(pred, mos, ["x", "x", "x", "x", "y", "y"], column="g", resamples=0)})
    cells = chart.figure["data"][0]["cells"]["values"]
    assert cells[2] == [f"{stats.pearsonr(pred[:4], mos[:4]).statistic:.3f}", "—"]  # PLCC
    assert cells[3] == ["1.000", "—"]  # SRCC of a monotone group
    assert "A, y:" in chart.note and "at least 3" in chart.note


def test_mos_distributions_put_each_image_in_its_group_on_the_scale():
    names = [f"s{i}" for i in range(9)]
    mos = [1.2, 4.5, 3.3, 2.0, 4.9, 3.1, 1.0, 2.2, 3.8]
    labels = ["b", "a", "c"] * 3
    violins = mos_violins(names, mos, labels, column="enhancer", scale=(1, 5))
    assert [trace["x0"] for trace in violins.figure["data"]] == ["a", "b", "c"]
    for trace in violins.figure["data"]:
        expected = [(n, m) for n, m, g in zip(names, mos, labels, strict=True) if g == trace["x0"]]
        assert list(zip(trace["text"], trace["y"], strict=True)) == expected
    assert sorted(row[2] for row in violins.rows) == sorted(mos)
    assert_labelled(violins.figure)
    histograms = mos_histograms(names, mos, labels, column="enhancer", scale=(1, 5))
    assert sorted(v for trace in histograms.figure["data"] for v in trace["x"]) == sorted(mos)
    bins = histograms.figure["data"][0]["xbins"]
    assert bins["start"] == 1 and bins["end"] >= 5 and bins["size"] == pytest.approx(0.2)
    assert_labelled(histograms.figure)
    with pytest.raises(ValueError, match="one name, MOS and group value per item"):
        mos_violins(names, mos, labels[:-1], column="enhancer", scale=(1, 5))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(1, 5)), min_size=5, max_size=40, unique_by=lambda t: t[0]))
def test_scatter_points_are_the_input_for_any_predictions(pairs):
    pred, mos = np.array([p for p, _ in pairs]), np.array([m for _, m in pairs])
    if np.ptp(mos) == 0 or np.ptp(pred) == 0:
        return
    names = [f"i{k}" for k in range(len(pairs))]
    chart = prediction_scatter(names, pred, mos)
    assert chart.figure["data"][0]["x"] == pred.tolist() and chart.figure["data"][0]["y"] == mos.tolist()
    expected = [(n, float(p), float(m)) for n, p, m in zip(names, pred, mos, strict=True)]
    assert [row[:3] for row in chart.rows] == expected
