"""Per-group tables in the layout of AU-IQA's Tables 1 and 2: group values down, models across.

Each model has one column per metric (PLCC and SRCC by default); in every row the best value of
each metric among the models is bold on a green ground. A group on which a model has no figures
(too few items, constant MOS) shows a dash, and the reason is in the chart's note.
"""

from collections.abc import Mapping, Sequence

from moslab_science.charts.chart import Chart, finite_or_none, number, table_figure
from moslab_science.charts.leaderboard import BEST_FILL, PLAIN_FILL
from moslab_science.metrics.groups import GroupBreakdown

GROUP_METRICS = (("plcc", "PLCC"), ("srcc", "SRCC"))


def group_table(
    breakdowns: Mapping[str, GroupBreakdown], *, metrics: Sequence[tuple[str, str]] = GROUP_METRICS, slug: str = ""
) -> Chart:
    """``breakdowns`` maps a model name to its metrics per value of one group column (all the same column)."""
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
    best = {}
    for group in groups:
        for metric, _ in metrics:
            found = [values[group, model, metric] for model in models if values[group, model, metric] is not None]
            best[group, metric] = max(found) if found else None
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
                is_best = value is not None and value == best[group, metric]
                cells.append(f"<b>{number(value)}</b>" if is_best else number(value))
                colours.append(BEST_FILL if is_best else PLAIN_FILL)
            cell_columns.append(cells)
            fills.append(colours)
    figure = table_figure(title=f"{' / '.join(label for _, label in metrics)} per {column} and model",
                          header=header, columns=cell_columns, fills=fills)
    rows = tuple(
        (group, model, sizes[group], *(values[group, model, m] for m, _ in metrics),
         *(values[group, model, m] is not None and values[group, model, m] == best[group, m] for m, _ in metrics))
        for group in groups for model in models
    )
    csv_columns = (column, "model", "n", *(m for m, _ in metrics), *(f"best_{m}" for m, _ in metrics))
    note = " ".join(
        f"{model}, {group}: {reason}." for model, b in breakdowns.items() for group, reason in b.skipped.items()
    )
    return Chart(slug or f"groups-{column}", f"Per {column}", figure, csv_columns, rows, note)
