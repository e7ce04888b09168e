"""Rater quality: bias against inconsistency, agreement with the others, screening decisions, agreement statistics.

The numbers come from a MOS computation's subject reports (bias and inconsistency only from the
methods that estimate them: MLE subject model, P.913) and from the MOS engine's agreement functions
on the study's score matrix.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from moslab_science.charts.chart import PALETTE, Chart, finite_or_none, layout, number, table_figure, wrapped
from moslab_science.mos.agreement import icc2, krippendorff_alpha, split_half_reliability
from moslab_science.mos.errors import MosInputError


@dataclass(frozen=True)
class RaterRow:
    rater: str
    votes: int
    rejected: bool
    automatic_rejected: bool | None
    overridden: bool
    p_count: int | None
    q_count: int | None
    pearson: float | None
    spearman: float | None
    bias: float | None
    inconsistency: float | None


@dataclass(frozen=True)
class AgreementRow:
    statistic: str
    value: float | None
    note: str


def _decision(row: RaterRow) -> str:
    return "rejected" if row.rejected else "kept"


def bias_inconsistency(raters: Sequence[RaterRow], *, method: str) -> Chart:
    """Each rater at (bias, inconsistency); kept and rejected raters drawn apart."""
    rows = tuple((r.rater, r.votes, _decision(r), r.bias, r.inconsistency) for r in raters)
    estimated = [r for r in raters if r.bias is not None and r.inconsistency is not None]
    traces = []
    for index, decision in enumerate(("kept", "rejected")):
        chosen = [r for r in estimated if _decision(r) == decision]
        traces.append({
            # only rejected raters are named on the chart (few, and the ones to look at); hover names all
            "type": "scatter", "mode": "markers" if decision == "kept" else "markers+text",
            "name": f"{decision} ({len(chosen)})",
            "x": [r.bias for r in chosen], "y": [r.inconsistency for r in chosen], "text": [r.rater for r in chosen],
            "textposition": "top center", "textfont": {"size": 11},
            "marker": {"color": PALETTE[index], "size": 10, "symbol": "circle" if decision == "kept" else "x"},
            "hovertemplate": "%{text}<br>bias %{x:.3f}<br>inconsistency %{y:.3f}<extra></extra>",
        })
    note = "" if estimated else (
        f"The {method} method estimates no rater bias or inconsistency; compute MOS with the MLE subject model "
        "or P.913 bias removal to fill this chart."
    )
    figure = {"data": traces, "layout": layout(
        title="Rater bias against inconsistency", x_title="Bias (score points)",
        y_title="Inconsistency (score points)", showlegend=True,
    )}
    return Chart("rater-bias", "Bias and inconsistency", figure,
                 ("rater", "votes", "decision", "bias", "inconsistency"), rows, note)


def rater_correlations(raters: Sequence[RaterRow]) -> Chart:
    """Each rater's Pearson and Spearman correlation with the MOS of the other raters, lowest first."""
    ordered = sorted(raters, key=lambda r: np.inf if r.spearman is None else r.spearman)
    names = [r.rater for r in ordered]
    traces = [
        {"type": "bar", "orientation": "h", "name": label, "y": names, "x": [getattr(r, key) for r in ordered],
         "marker": {"color": PALETTE[index]}}
        for index, (key, label) in enumerate((("pearson", "Pearson"), ("spearman", "Spearman")))
    ]
    figure = {"data": traces, "layout": layout(
        title="Agreement of each rater with the others' MOS", x_title="Correlation with the MOS of the others",
        y_title="Rater", barmode="group", height=max(320, 120 + 34 * len(ordered)),
    )}
    rows = tuple((r.rater, r.votes, _decision(r), r.pearson, r.spearman) for r in ordered)
    return Chart("rater-correlations", "Rater-vs-rest correlations", figure,
                 ("rater", "votes", "decision", "pearson", "spearman"), rows)


def screening_decisions(raters: Sequence[RaterRow], *, method: str) -> Chart:
    """How many raters were kept and rejected, by the method alone and after coordinator overrides."""
    def automatic(r: RaterRow) -> str:
        return "not screened" if r.automatic_rejected is None else ("rejected" if r.automatic_rejected else "kept")

    stages = (("by the method", automatic), ("final (after overrides)", _decision))
    outcomes = ("kept", "rejected", "not screened")
    traces = [
        {"type": "bar", "name": outcome, "x": [stage for stage, _ in stages],
         "y": [sum(1 for r in raters if decide(r) == outcome) for _, decide in stages],
         "marker": {"color": PALETTE[index]}}
        for index, outcome in enumerate(outcomes)
    ]
    figure = {"data": traces, "layout": layout(
        title=f"Screening decisions ({method})", x_title="Decision", y_title="Raters", barmode="stack",
    )}
    rows = tuple((r.rater, r.votes, automatic(r), _decision(r), r.overridden, r.p_count, r.q_count) for r in raters)
    return Chart("screening", "Screening decisions", figure,
                 ("rater", "votes", "method_decision", "final_decision", "overridden", "p_count", "q_count"), rows)


def agreement_statistics(scores: np.ndarray, *, seed: int = 0) -> list[AgreementRow]:
    """Krippendorff's alpha (interval, ordinal), ICC(2,1) and ICC(2,k), split-half SRCC, each with why it is missing."""
    rows = []
    for metric in ("interval", "ordinal"):
        try:
            rows.append(AgreementRow(f"Krippendorff's alpha ({metric})",
                                     finite_or_none(krippendorff_alpha(scores, metric=metric)), ""))
        except MosInputError as error:
            rows.append(AgreementRow(f"Krippendorff's alpha ({metric})", None, str(error)))
    try:
        icc = icc2(scores)
        note = f"{icc.n_stimuli} stimuli x {icc.n_raters} raters"
        rows += [AgreementRow("ICC(2,1)", finite_or_none(icc.icc2_1), note),
                 AgreementRow("ICC(2,k)", finite_or_none(icc.icc2_k), note)]
    except MosInputError as error:
        rows += [AgreementRow("ICC(2,1)", None, str(error)), AgreementRow("ICC(2,k)", None, str(error))]
    try:
        half = split_half_reliability(scores, seed=seed)
        rows.append(AgreementRow(
            "Split-half SRCC (Spearman-Brown)", finite_or_none(half.srcc_corrected_mean),
            f"mean of {half.n_splits} random halves (seed {half.seed}), std {number(half.srcc_corrected_std)}",
        ))
    except MosInputError as error:
        rows.append(AgreementRow("Split-half SRCC (Spearman-Brown)", None, str(error)))
    return rows


def agreement_table(rows: Sequence[AgreementRow]) -> Chart:
    figure = table_figure(
        title="Agreement between raters", header=("Statistic", "Value", "Note"),
        columns=([r.statistic for r in rows], [number(r.value) for r in rows], [wrapped(r.note) for r in rows]),
        widths=(2, 1, 5),
    )
    return Chart("agreement", "Agreement statistics", figure, ("statistic", "value", "note"),
                 tuple((r.statistic, r.value, r.note) for r in rows))
