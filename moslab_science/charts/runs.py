"""A benchmark's dashboard and a training run's dashboard, as lists of charts, from what the runs stored.

Every number is recomputed by the metrics module from each run's stored predictions of its scored part and
the dataset version's MOS (with the seed the run was planned with and used itself), so the leaderboard's
CIs, the per-group tables and the run page agree with every other dashboard. No Django here.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from moslab_science.charts.chart import PALETTE, Chart, layout, slug_part
from moslab_science.charts.distributions import mos_histograms, mos_violins
from moslab_science.charts.groups import group_table, group_winners
from moslab_science.charts.leaderboard import ModelResult, leaderboard
from moslab_science.charts.pages import ALL_IMAGES, MosItem, group_columns, group_labels, prediction_dashboard
from moslab_science.charts.training import training_curves
from moslab_science.metrics.errors import MetricsInputError
from moslab_science.metrics.evaluation import DEFAULT_RESAMPLES, Evaluation, evaluate_predictions
from moslab_science.metrics.groups import GroupBreakdown, evaluate_groups
from moslab_science.metrics.paired import DEFAULT_PAIRED_RESAMPLES
from moslab_science.metrics.ranking import Ranking, ScoredPart, rank_models, small_test_warning

RANK_LABELS = {"srcc": "SRCC", "plcc": "PLCC", "krcc": "KRCC", "ntire2024": "NTIRE 2024 score",
               "vquala2025": "VQualA 2025 score"}


@dataclass(frozen=True)
class RunScores:
    """One succeeded run: its model, repeated split, seed and {stimulus name: score} of the part it scored."""

    run_id: int
    model: str
    repeat: int
    seed: int
    predictions: Mapping[str, float]


@dataclass(frozen=True)
class Dashboard:
    charts: list[Chart]
    problems: list[str] = field(default_factory=list)

    def chart(self, slug: str) -> Chart | None:
        return next((chart for chart in self.charts if chart.slug == slug), None)


@dataclass(frozen=True)
class RepeatMean:
    """The mean of one group's figures over the repeated splits that could evaluate it (for group_table)."""

    n: int
    evaluations: tuple[Evaluation, ...]

    def value(self, name: str) -> float:
        return float(np.mean([evaluation.value(name) for evaluation in self.evaluations]))


def scored_pairs(predictions: Mapping[str, float], items: Sequence[MosItem]) -> tuple[list[str], np.ndarray,
                                                                                       np.ndarray]:
    """The items a run scored, in the version's order (the order the run evaluated them in, so the bootstrap
    resamples the same images), with their predictions and MOS."""
    scored = [item for item in items if item.name in predictions]
    return ([item.name for item in scored], np.array([predictions[item.name] for item in scored], dtype=float),
            np.array([item.mos for item in scored], dtype=float))


def benchmark_dashboard(
    runs: Sequence[RunScores], items: Sequence[MosItem], *, protocol: str, rank_by: str,
    scale: tuple[float, float], group_column: str = "", resamples: int = DEFAULT_RESAMPLES,
    ranking_resamples: int = DEFAULT_PAIRED_RESAMPLES,
) -> Dashboard:
    """The leaderboard, the spread over repeats, per-group tables (groups by models) and MOS per group.

    ``runs`` are the succeeded runs, in the order their models should appear in the group tables;
    ``group_column`` (the protocol's) comes first among the item group columns.
    """
    by_name = {item.name: item for item in items}
    columns = _ordered_columns(group_column, [item.groups for item in items])
    evaluations: dict[str, list[tuple[int, Evaluation]]] = {}
    parts: dict[int, dict[str, Mapping[str, float]]] = {}
    breakdowns: dict[str, dict[str, list[GroupBreakdown]]] = {column: {} for column in columns}
    problems = []
    for run in runs:
        names, pred, target = scored_pairs(run.predictions, items)
        try:
            evaluation = evaluate_predictions(pred, target, resamples=resamples, seed=run.seed)
        except MetricsInputError as error:
            problems.append(f"{run.model}, repeat {run.repeat} (run #{run.run_id}): {error}")
            continue
        evaluations.setdefault(run.model, []).append((run.repeat, evaluation))
        parts.setdefault(run.repeat, {})[run.model] = dict(zip(names, pred, strict=True))
        groups = [by_name[name].groups for name in names]
        for column in columns:
            breakdowns[column].setdefault(run.model, []).append(
                evaluate_groups(pred, target, group_labels(groups, column), column=column, resamples=0))
    charts = []
    if evaluations:
        results = [ModelResult(model, [evaluation for _, evaluation in found]) for model, found in evaluations.items()]
        ranking = ranking_of(parts, items, metric=rank_by, seed=min(run.seed for run in runs),
                             resamples=ranking_resamples)
        charts.append(leaderboard(results, protocol=protocol, ranking=ranking))
        if any(len(found) > 1 for found in evaluations.values()):
            charts.append(repeat_spread(evaluations, metric=rank_by))
        mos = {item.name: item.mos for item in items}
        for column in columns:
            labels = dict(zip(mos, group_labels([item.groups for item in items], column), strict=True))
            winners = group_winners([parts[repeat] for repeat in sorted(parts)], mos, labels,
                                    seed=min(run.seed for run in runs))
            charts.append(_group_chart(column, breakdowns[column], winners))
    names, mos = [item.name for item in items], [item.mos for item in items]
    if items:
        charts.append(mos_histograms(names, mos, [ALL_IMAGES] * len(items), column="dataset version", scale=scale,
                                     title="MOS histogram of the dataset version"))
    for column in columns:
        labels = group_labels([item.groups for item in items], column)
        charts += [mos_violins(names, mos, labels, column=column, scale=scale),
                   mos_histograms(names, mos, labels, column=column, scale=scale)]
    return Dashboard(charts, problems)


def ranking_of(parts: Mapping[int, Mapping[str, Mapping[str, float]]], items: Sequence[MosItem], *, metric: str,
               seed: int, resamples: int = DEFAULT_PAIRED_RESAMPLES) -> Ranking:
    """The rank groups of the models over the repeats' test parts (the items every model scored in a repeat);
    when they cannot be ranked, a ranking of no model that says why."""
    test_parts = []
    for repeat in sorted(parts):
        scored = parts[repeat].values()
        common = [item for item in items if all(item.name in found for found in scored)]
        test_parts.append(ScoredPart({model: [found[item.name] for item in common] for model, found in
                                    parts[repeat].items()}, [item.mos for item in common]))
    try:
        return rank_models(test_parts, metric=metric, resamples=resamples, seed=seed)
    except MetricsInputError as error:
        n = min(len(part.mos) for part in test_parts)
        return Ranking(metric, n, (), 0, seed, tuple(text for text in (f"Not ranked: {error}.",
                                                                         small_test_warning(n)) if text))


def _ordered_columns(first: str, groups: Sequence[Mapping[str, str]]) -> list[str]:
    columns = group_columns(groups)
    return [first, *(column for column in columns if column != first)] if first in columns else columns


def _group_chart(column: str, breakdowns: Mapping[str, list[GroupBreakdown]],
                 winners: Mapping[tuple[str, str], str]) -> Chart:
    """Groups by models; with repeated splits each cell is the mean over the repeats that evaluated the group."""
    merged, notes = {}, []
    repeats = max(len(found) for found in breakdowns.values())
    for model, found in breakdowns.items():
        if len(found) == 1:
            merged[model] = found[0]
            continue
        values = sorted({group for b in found for group in (*b.evaluations, *b.skipped)})
        means, skipped = {}, {}
        for group in values:
            evaluated = [b.evaluations[group] for b in found if group in b.evaluations]
            if evaluated:
                means[group] = RepeatMean(round(float(np.mean([e.n for e in evaluated]))), tuple(evaluated))
                if len(evaluated) < len(found):
                    notes.append(f"{model}, {group}: mean of {len(evaluated)} of {len(found)} repeats.")
            else:
                skipped[group] = next(b.skipped[group] for b in found if group in b.skipped)
        merged[model] = GroupBreakdown(column, means, skipped)
    chart = group_table(merged, slug=f"groups-{slug_part(column)}", winners=winners)
    if repeats > 1:
        notes.insert(0, f"Each cell: the mean over the {repeats} repeated splits' test parts; n: mean test images.")
    return replace(chart, note=" ".join([*notes, chart.note]).strip()) if notes else chart


def repeat_spread(evaluations: Mapping[str, Sequence[tuple[int, Evaluation]]], *, metric: str) -> Chart:
    """The ranking metric of each model on each repeated split: a box per model with every repeat as a point."""
    label = RANK_LABELS.get(metric, metric)
    traces = [
        {"type": "box", "name": model, "y": [evaluation.value(metric) for _, evaluation in found],
         "text": [f"repeat {repeat}" for repeat, _ in found], "boxpoints": "all", "pointpos": 0, "jitter": 0.3,
         "boxmean": True, "marker": {"color": PALETTE[index % len(PALETTE)], "size": 8},
         "hovertemplate": "%{text}<br>" + label + " %{y:.4f}<extra></extra>"}
        for index, (model, found) in enumerate(evaluations.items())
    ]
    figure = {"data": traces, "layout": layout(
        title=f"{label} on each repeated split", x_title="Model", y_title=label, showlegend=False, height=420)}
    rows = tuple((model, repeat, float(evaluation.value(metric)))
                 for model, found in evaluations.items() for repeat, evaluation in found)
    return Chart("repeats", "Spread over repeated splits", figure, ("model", "repeat", metric), rows,
                 "Box: quartiles over the repeats, dashed line: their mean.")


def run_dashboard(
    *, model: str, predictions: Mapping[str, float], items: Sequence[MosItem], epochs: Sequence[Mapping],
    seed: int, resamples: int = DEFAULT_RESAMPLES,
) -> Dashboard:
    """Training curves (when epochs were recorded), then the scatter with its fitted curves, the residuals,
    the metrics with CIs and one per-group table per group column, on the run's scored part."""
    charts = [training_curves(epochs)] if epochs else []
    names, pred, target = scored_pairs(predictions, items)
    if not names:
        return Dashboard(charts)
    by_name = {item.name: item.groups for item in items}
    groups = [by_name[name] for name in names]
    try:
        found = prediction_dashboard(model, names, pred, target, groups, resamples=resamples, seed=seed)
    except MetricsInputError as error:
        return Dashboard(charts, [f"The scored part cannot be evaluated: {error}"])
    return Dashboard(charts + found.charts)

