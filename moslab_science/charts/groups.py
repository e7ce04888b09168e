"""Per-group tables in the layout of AU-IQA's Tables 1 and 2: group values down, models across.

Each model has one column per metric (PLCC and SRCC by default); in a row, a model's value is bold on a
green ground only when a paired bootstrap on that group's items finds it separably best (``group_winners``,
the rank groups of the leaderboards): a tie is never painted as a win. A group on which a model has no
figures (too few items, constant MOS) shows a dash, and the reason is in the chart's note.
"""

from collections.abc import Mapping, Sequence

from moslab_science.charts.chart import Chart, finite_or_none, number, table_figure
from moslab_science.charts.leaderboard import BEST_FILL, PLAIN_FILL
from moslab_science.metrics.errors import MetricsInputError
from moslab_science.metrics.groups import GroupBreakdown
from moslab_science.metrics.ranking import ScoredPart, rank_models

GROUP_METRICS = (("plcc", "PLCC"), ("srcc", "SRCC"))


def group_winners(
    parts: Sequence[Mapping[str, Mapping[str, float]]], mos: Mapping[str, float], labels: Mapping[str, str], *,
    metrics: Sequence[tuple[str, str]] = GROUP_METRICS, seed: int = 0,
) -> dict[tuple[str, str], str]:
    """(group value, metric) -> the model that alone forms the first rank group on that group's items.

    ``parts``: per repeated split, each model's {item: prediction}; ``mos`` and ``labels`` (the group value) by
    item. A group and metric with no separable best model (or too few items to rank) is absent.
    """
    winners = {}
    for value in sorted(set(labels.values())):
        scored = []
        for part in parts:
            common = [item for item in mos if labels.get(item) == value and all(item in p for p in part.values())]
            scored.append(ScoredPart({model: [found[item] for item in common] for model, found in part.items()},
                                     [mos[item] for item in common]))
        for metric, _ in metrics:
            try:
                best = rank_models(scored, metric=metric, seed=seed).best
            except MetricsInputError:
                continue
            if best is not None:
                winners[value, metric] = best
    return winners


def group_table(
    breakdowns: Mapping[str, GroupBreakdown], *, metrics: Sequence[tuple[str, str]] = GROUP_METRICS, slug: str = "",
    winners: Mapping[tuple[str, str], str] | None = None,
) -> Chart:
    """``breakdowns`` maps a model name to its metrics per value of one group column (all the same column);
    ``winners`` (``group_winners``) names the separably best model of a group and metric, the one painted."""
    if not breakdowns:
        raise ValueError("no models to tabulate")
    columns_used = {breakdown.column for breakdown in breakdowns.values()}
    if len(columns_used) != 1:
        raise ValueError(f"all breakdowns must be over one group column; got {', '.join(sorted(columns_used))}")
    column = columns_used.pop()
    models = list(breakdowns)
    groups = sorted({g for b in breakdowns.values() for g in (*b.evaluations, *b.skipped)})
    values = {
        (group, model, metric): finite_or_none(breakdowns[model].evaluations[group].value(metric))
        if group in breakdowns[model].evaluations else None
        for group in groups for model in models for metric, _ in metrics
    }
    winners = winners or {}
    sizes = {group: next((b.evaluations[group].n for b in breakdowns.values() if group in b.evaluations), None)
             for group in groups}
    cell_columns = [groups, [str(sizes[g]) if sizes[g] is not None else "—" for g in groups]]
    fills = [[PLAIN_FILL] * len(groups), [PLAIN_FILL] * len(groups)]
    header = [column, "n"]
    for model in models:
        for metric, label in metrics:
            header.append(f"{model}<br>{label}")
            cells, colours = [], []
            for group in groups:
                value = values[group, model, metric]
                is_best = value is not None and winners.get((group, metric)) == model
                cells.append(f"<b>{number(value)}</b>" if is_best else number(value))
                colours.append(BEST_FILL if is_best else PLAIN_FILL)
            cell_columns.append(cells)
            fills.append(colours)
    figure = table_figure(title=f"{' / '.join(label for _, label in metrics)} per {column} and model",
                          header=header, columns=cell_columns, fills=fills)
    rows = tuple(
        (group, model, sizes[group], *(values[group, model, m] for m, _ in metrics),
         *(values[group, model, m] is not None and winners.get((group, m)) == model for m, _ in metrics))
        for group in groups for model in models
    )
    csv_columns = (column, "model", "n", *(m for m, _ in metrics), *(f"best_{m}" for m, _ in metrics))
    note = " ".join(
        f"{model}, {group}: {reason}." for model, b in breakdowns.items() for group, reason in b.skipped.items()
    )
    return Chart(slug or f"groups-{column}", f"Per {column}", figure, csv_columns, rows, note)
