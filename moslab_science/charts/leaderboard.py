"""A leaderboard: models in rank groups by a metric, each figure as the mean and spread over repeated splits.

Each model brings one Evaluation (of the metrics module) per repeated split. A cell shows the mean
over repeats, ± their standard deviation (ddof 1) when there are several, and the bootstrap 95% CI
(the mean of the per-repeat interval bounds: the typical sampling uncertainty of one test split).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from moslab_science.charts.chart import Chart, number, table_figure
from moslab_science.metrics.evaluation import Evaluation
from moslab_science.metrics.ranking import Ranking, lower_is_better

LEADERBOARD_METRICS = (
    ("srcc", "SRCC"),
    ("plcc", "PLCC"),
    ("krcc", "KRCC"),
    ("rmse_logistic4", "RMSE (logistic4)"),
    ("ntire2024", "NTIRE 2024"),
    ("vquala2025", "VQualA 2025"),
)
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


FIT_MARKS = {"fit_step": "collapsed into a step", "fit_fallback": "fell back to a line"}


def fit_notes(evaluations: Sequence[Evaluation]) -> str:
    """Which fits behind the table's figures collapsed into a step or fell back, over a model's repeats."""
    marks = []
    for evaluation in evaluations:
        for kind in ("logistic4", "poly3"):
            fit = evaluation.mapped[kind].fit
            mark = "fit_step" if fit.step else "fit_fallback" if not fit.converged else ""
            if mark and f"{kind} {FIT_MARKS[mark]}" not in marks:
                marks.append(f"{kind} {FIT_MARKS[mark]}")
    return "; ".join(marks)


def model_label(model: str, *, sign_corrected: bool) -> str:
    """The model's name, marked when it is a lower-is-better measure: raw scores (figures of the raw scores, ranked
    on -score) or, as moslab's own NIQE runs write them, already -score."""
    if sign_corrected:
        return f"{model}<br><i>(raw, lower is better: ranked on -score)</i>"
    if lower_is_better(model):
        return f"{model}<br><i>(scored as -score)</i>"
    return model


def leaderboard(
    results: Sequence[ModelResult], *, protocol: str, ranking: Ranking, slug: str = "leaderboard"
) -> Chart:
    """The models in the rank groups of ``ranking`` (``rank_models`` on the same predictions), best group first.

    Models a paired bootstrap cannot tell apart share a rank; the ranking figure of the first model is
    highlighted only when it alone forms the first group. A model the ranking left out is listed last, unranked.
    """
    if not results:
        raise ValueError("no model results to rank")
    empty = [result.model for result in results if not result.evaluations]
    if empty:
        raise ValueError(f"model(s) without any evaluation: {', '.join(empty)}")
    rank_by = ranking.metric
    summaries = {result.model: {m: summarise(result.evaluations, m) for m, _ in LEADERBOARD_METRICS}
                 for result in results}
    by_model = {result.model: result for result in results}
    ranked = [by_model[entry.model] for entry in ranking.models if entry.model in by_model]
    ranked += [result for result in results if ranking.group_of(result.model) is None]
    corrected = {entry.model for entry in ranking.models if entry.sign_corrected}
    groups = [ranking.group_of(r.model) for r in ranked]
    best = [ranking.best is not None and r.model == ranking.best for r in ranked]
    notes = [fit_notes(r.evaluations) for r in ranked]
    columns = [[str(g) if g else "—" for g in groups],
               [model_label(r.model, sign_corrected=r.model in corrected) for r in ranked],
               [str(len(r.evaluations)) for r in ranked]]
    fills = [[PLAIN_FILL] * len(ranked) for _ in columns]
    for metric, _ in LEADERBOARD_METRICS:
        columns.append([cell_text(summaries[r.model][metric]) for r in ranked])
        fills.append([BEST_FILL if metric == rank_by and is_best else PLAIN_FILL for is_best in best])
    columns.append([note or "" for note in notes])
    fills.append([PLAIN_FILL] * len(ranked))
    label = dict(LEADERBOARD_METRICS).get(rank_by, rank_by)
    figure = table_figure(
        title=f"Leaderboard, rank groups by {label}" + ("" if ranking.best else " (no model is separably best)"),
        header=("Rank", "Model", "Repeats", *(text for _, text in LEADERBOARD_METRICS), "Fits"), columns=columns,
        fills=fills, cell_height=44, widths=(0.8, 2.6, 1, *[1.6] * len(LEADERBOARD_METRICS), 1.6),
    )
    csv_columns = ("rank", "model", "repeats", "best", "lower_is_better", "fit_notes") + tuple(
        f"{metric}_{part}" for metric, _ in LEADERBOARD_METRICS for part in ("mean", "std", "ci95_low", "ci95_high")
    )
    rows = tuple(
        (group, r.model, len(r.evaluations), is_best, r.model in corrected or lower_is_better(r.model), note)
        + tuple(value for metric, _ in LEADERBOARD_METRICS for value in summaries[r.model][metric].values())
        for group, r, is_best, note in zip(groups, ranked, best, notes, strict=True)
    )
    return Chart(slug, "Leaderboard", figure, csv_columns, rows, " ".join([protocol, ranking_note(ranking)]).strip())


def ranking_note(ranking: Ranking) -> str:
    """The ranking in words, with its warnings, for a leaderboard's note."""
    text = (f"Rank: models a paired bootstrap ({ranking.resamples} joint resamples of the {ranking.n} test items, "
            f"seed {ranking.seed}) cannot tell apart share a rank.")
    if ranking.best:
        text += f" Best: {ranking.best}."
    elif len(ranking.models) > 1:
        text += " The top models cannot be told apart, so none is highlighted as best."
    return " ".join([text, *ranking.warnings])
