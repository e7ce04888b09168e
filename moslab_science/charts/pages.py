"""What each dashboard page shows, as lists of charts built from plain numbers (the views only fetch them)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from moslab_science.charts.chart import Chart
from moslab_science.charts.distributions import mos_histograms, mos_violins
from moslab_science.charts.groups import group_table, group_winners
from moslab_science.charts.leaderboard import ModelResult, leaderboard
from moslab_science.charts.predictions import metrics_table, prediction_scatter, residual_plot
from moslab_science.charts.raters import (
    AgreementRow,
    RaterRow,
    agreement_table,
    bias_inconsistency,
    rater_correlations,
    screening_decisions,
)
from moslab_science.metrics.errors import MetricsInputError
from moslab_science.metrics.evaluation import DEFAULT_RESAMPLES, Evaluation, evaluate_predictions
from moslab_science.metrics.groups import evaluate_groups
from moslab_science.metrics.ranking import Ranking, ScoredPart, lower_is_better, rank_models

ALL_IMAGES = "all images"


@dataclass(frozen=True)
class MosItem:
    name: str
    mos: float
    groups: Mapping[str, str]


def group_columns(groups: Sequence[Mapping[str, str]]) -> list[str]:
    """Every group column any item has, sorted."""
    return sorted({column for item_groups in groups for column in item_groups})


def group_labels(groups: Sequence[Mapping[str, str]], column: str) -> list[str]:
    return [item_groups.get(column) or "(none)" for item_groups in groups]


def mos_dashboard(items: Sequence[MosItem], *, scale: tuple[float, float]) -> list[Chart]:
    """The MOS histogram of the whole study, then violins and histograms per value of each group column."""
    names, mos = [item.name for item in items], [item.mos for item in items]
    groups = [item.groups for item in items]
    charts = [mos_histograms(names, mos, [ALL_IMAGES] * len(items), column="study", scale=scale)]
    for column in group_columns(groups):
        labels = group_labels(groups, column)
        charts += [mos_violins(names, mos, labels, column=column, scale=scale),
                   mos_histograms(names, mos, labels, column=column, scale=scale)]
    return charts


@dataclass(frozen=True)
class PredictionDashboard:
    evaluation: Evaluation
    charts: list[Chart]


def prediction_dashboard(
    model: str, names: Sequence[str], predictions, mos, groups: Sequence[Mapping[str, str]],
    *, resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
) -> PredictionDashboard:
    """Scatter with fitted curves, residuals, the metrics with CIs, and one per-group table per group column.

    A run page passes its test predictions here just as the upload page does.
    """
    pred, target = np.asarray(predictions, dtype=float), np.asarray(mos, dtype=float)
    evaluation = evaluate_predictions(pred, target, resamples=resamples, seed=seed)
    charts = [
        prediction_scatter(names, pred, target, title=f"{model}: predictions against MOS (n = {pred.size})"),
        residual_plot(names, pred, target),
        metrics_table(evaluation),
    ]
    for column in group_columns(groups):
        breakdown = evaluate_groups(pred, target, group_labels(groups, column), column=column, resamples=0)
        charts.append(group_table({model: breakdown}))
    return PredictionDashboard(evaluation, charts)


def comparison_dashboard(
    results: Mapping[str, tuple[np.ndarray, np.ndarray]], groups: Sequence[Mapping[str, str]] | None,
    *, protocol: str, resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
) -> list[Chart]:
    """Several models on the same images: the leaderboard, then per-group tables of groups by models.

    ``results`` maps a model to its (predictions, MOS); ``groups`` (one mapping per image, same order
    for every model) gives the group tables, or None when the models were scored on different images.
    """
    evaluations = {model: evaluate_predictions(pred, mos, resamples=resamples, seed=seed)
                   for model, (pred, mos) in results.items()}
    ranking = comparison_ranking(results, groups is not None, seed=seed)
    charts = [leaderboard([ModelResult(model, [evaluation]) for model, evaluation in evaluations.items()],
                          protocol=protocol, ranking=ranking)]
    positions = [str(index) for index in range(len(next(iter(results.values()))[1]))] if groups else []
    predictions = {model: dict(zip(positions, pred, strict=True)) for model, (pred, _) in results.items()}
    for column in group_columns(groups or []):
        labels = group_labels(groups, column)
        winners = group_winners([predictions], dict(zip(positions, next(iter(results.values()))[1], strict=True)),
                                dict(zip(positions, labels, strict=True)), seed=seed)
        charts.append(group_table({
            model: evaluate_groups(pred, mos, labels, column=column, resamples=0)
            for model, (pred, mos) in results.items()
        }, winners=winners))
    return charts


def comparison_ranking(results: Mapping[str, tuple[np.ndarray, np.ndarray]], same_items: bool, *,
                       seed: int) -> Ranking:
    """Rank groups of models scored on the same images (uploaded predictions: a model named as a lower-is-better
    measure, e.g. niqe, holds raw scores and is ranked on -score); models on different images are not ranked."""
    first = next(iter(results.values()))
    if not same_items:
        return Ranking("srcc", len(first[1]), (), 0, seed,
                       ("Not ranked: the models were scored on different images, so no paired test applies.",))
    part = ScoredPart({model: pred for model, (pred, _) in results.items()}, first[1])
    try:
        return rank_models([part], lower_is_better_models=[m for m in results if lower_is_better(m)], seed=seed)
    except MetricsInputError as error:
        return Ranking("srcc", len(first[1]), (), 0, seed, (f"Not ranked: {error}.",))


def rater_dashboard(raters: Sequence[RaterRow], agreement: Sequence[AgreementRow], *, method: str) -> list[Chart]:
    return [
        agreement_table(agreement),
        screening_decisions(raters, method=method),
        bias_inconsistency(raters, method=method),
        rater_correlations(raters),
    ]
