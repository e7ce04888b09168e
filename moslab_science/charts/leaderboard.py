"""A leaderboard: models ranked by a metric, each figure as the mean and spread over repeated splits.

Each model brings one Evaluation (of the metrics module) per repeated split. A cell shows the mean
over repeats, ± their standard deviation (ddof 1) when there are several, and the bootstrap 95% CI
(the mean of the per-repeat interval bounds: the typical sampling uncertainty of one test split).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from moslab_science.charts.chart import Chart, number, table_figure
from moslab_science.metrics.evaluation import Evaluation

LEADERBOARD_METRICS = (
    ("srcc", "SRCC"),
    ("plcc", "PLCC"),
    ("krcc", "KRCC"),
    ("rmse_logistic4", "RMSE (logistic4)"),
    ("ntire2024", "NTIRE 2024"),
    ("vquala2025", "VQualA 2025"),
)
LOWER_IS_BETTER = {"rmse_logistic4", "rmse_logistic5", "rmse_poly3"}
BEST_FILL, PLAIN_FILL = "#d8f0dc", "#ffffff"


@dataclass(frozen=True)
class ModelResult:
    model: str
    evaluations: Sequence[Evaluation]  # one per repeated split


@dataclass(frozen=True)
class Summary:
    mean: float
    std: float | None
    ci_low: float | None
    ci_high: float | None

    def values(self) -> tuple[float, float | None, float | None, float | None]:
        return self.mean, self.std, self.ci_low, self.ci_high


def summarise(evaluations: Sequence[Evaluation], metric: str) -> Summary:
    values = np.array([evaluation.value(metric) for evaluation in evaluations], dtype=float)
    intervals = [evaluation.intervals.get(metric) for evaluation in evaluations]
    has_ci = all(interval is not None for interval in intervals)
    return Summary(
        mean=float(values.mean()),
        std=float(values.std(ddof=1)) if values.size > 1 else None,
        ci_low=float(np.mean([i.low for i in intervals])) if has_ci else None,
        ci_high=float(np.mean([i.high for i in intervals])) if has_ci else None,
    )


def cell_text(summary: Summary) -> str:
    text = number(summary.mean)
    if summary.std is not None:
        text += f" ± {number(summary.std)}"
    if summary.ci_low is not None:
        text += f"<br>[{number(summary.ci_low)}, {number(summary.ci_high)}]"
    return text


def leaderboard(
    results: Sequence[ModelResult], *, protocol: str, rank_by: str = "srcc", slug: str = "leaderboard"
) -> Chart:
    """The models ranked by ``rank_by`` (best first); the best mean per metric is highlighted."""
    if not results:
        raise ValueError("no model results to rank")
    empty = [result.model for result in results if not result.evaluations]
    if empty:
        raise ValueError(f"model(s) without any evaluation: {', '.join(empty)}")
    summaries = {result.model: {m: summarise(result.evaluations, m) for m, _ in LEADERBOARD_METRICS}
                 for result in results}
    sign = 1 if rank_by in LOWER_IS_BETTER else -1
    ranked = sorted(results, key=lambda result: sign * summaries[result.model][rank_by].mean)
    best = {}
    for metric, _ in LEADERBOARD_METRICS:
        means = [summaries[r.model][metric].mean for r in ranked]
        best[metric] = min(means) if metric in LOWER_IS_BETTER else max(means)
    columns = [[r.model for r in ranked], [str(len(r.evaluations)) for r in ranked]]
    fills = [[PLAIN_FILL] * len(ranked), [PLAIN_FILL] * len(ranked)]
    for metric, _ in LEADERBOARD_METRICS:
        column = [summaries[r.model][metric] for r in ranked]
        columns.append([cell_text(s) for s in column])
        fills.append([BEST_FILL if s.mean == best[metric] else PLAIN_FILL for s in column])
    figure = table_figure(
        title=f"Leaderboard, ranked by {dict(LEADERBOARD_METRICS).get(rank_by, rank_by)}",
        header=("Model", "Repeats", *(label for _, label in LEADERBOARD_METRICS)), columns=columns, fills=fills,
        cell_height=44, widths=(2, 1, *[1.6] * len(LEADERBOARD_METRICS)),
    )
    csv_columns = ("rank", "model", "repeats") + tuple(
        f"{metric}_{part}" for metric, _ in LEADERBOARD_METRICS for part in ("mean", "std", "ci95_low", "ci95_high")
    )
    rows = tuple(
        (rank, r.model, len(r.evaluations))
        + tuple(value for metric, _ in LEADERBOARD_METRICS for value in summaries[r.model][metric].values())
        for rank, r in enumerate(ranked, start=1)
    )
    return Chart(slug, "Leaderboard", figure, csv_columns, rows, protocol)
