"""Predictions against MOS: the scatter with fitted curves, the residuals, and the metrics with their CIs."""

from collections.abc import Sequence

import numpy as np

from moslab_science.charts.chart import PALETTE, Chart, finite_or_none, layout, number, table_figure
from moslab_science.metrics.evaluation import Evaluation
from moslab_science.metrics.fits import fit_mapping, mapping_curve

# The curves drawn over the scatter: the NTIRE 2024 / VQualA 2025 reports' polynomial, then the VQEG logistics.
SCATTER_FITS = ("poly4", "logistic4", "logistic5")
CURVE_POINTS = 200
RESIDUAL_FIT = "logistic4"
FIT_LABELS = {
    "poly3": "3rd-order polynomial",
    "poly4": "4th-order polynomial",
    "logistic4": "4-parameter logistic",
    "logistic5": "5-parameter logistic",
    "linear": "straight line (fallback)",
}
# Figures listed in the metrics table: (name for Evaluation.value, label).
METRIC_ROWS = (
    ("srcc", "SRCC"),
    ("krcc", "KRCC"),
    ("plcc", "PLCC (raw)"),
    ("plcc_poly3", "PLCC after 3rd-order polynomial"),
    ("plcc_logistic4", "PLCC after 4-parameter logistic"),
    ("plcc_logistic5", "PLCC after 5-parameter logistic"),
    ("rmse_logistic4", "RMSE after 4-parameter logistic"),
    ("rmse_logistic5", "RMSE after 5-parameter logistic"),
    ("ntire2024", "NTIRE 2024 score"),
    ("vquala2025", "VQualA 2025 score"),
    ("srcc_plcc", "SRCC + PLCC (MA-AGIQA)"),
)


def fit_label(fit) -> str:
    label = FIT_LABELS.get(fit.kind, fit.kind)
    return label if fit.used == fit.kind else f"{label}: fell back to {FIT_LABELS.get(fit.used, fit.used)}"


def prediction_scatter(
    names: Sequence[str], predictions, mos, *, fits: Sequence[str] = SCATTER_FITS, title: str = "", slug="scatter"
) -> Chart:
    """Each item as a point (prediction, MOS) with each mapping of the metrics module fitted and drawn as a curve."""
    pred, target = np.asarray(predictions, dtype=float), np.asarray(mos, dtype=float)
    fitted = [fit_mapping(pred, target, kind) for kind in fits]
    grid = np.linspace(pred.min(), pred.max(), CURVE_POINTS)
    traces = [{
        "type": "scatter", "mode": "markers", "name": "images", "x": pred.tolist(), "y": target.tolist(),
        "text": list(names), "marker": {"color": PALETTE[0], "size": 7, "opacity": 0.7},
        "hovertemplate": "%{text}<br>prediction %{x:.4g}<br>MOS %{y:.3f}<extra></extra>",
    }]
    for index, fit in enumerate(fitted, start=1):
        traces.append({
            "type": "scatter", "mode": "lines", "name": fit_label(fit), "x": grid.tolist(),
            "y": mapping_curve(fit, pred, grid).tolist(), "line": {"color": PALETTE[index], "width": 2.5},
            "hoverinfo": "skip",
        })
    figure = {
        "data": traces,
        "layout": layout(title=title or f"Predictions against MOS (n = {pred.size})",
                         x_title="Predicted score", y_title="MOS"),
    }
    columns = ("image", "prediction", "mos", *(f"fitted_{fit.kind}" for fit in fitted))
    rows = tuple(
        (name, float(pred[i]), float(target[i]), *(float(fit.mapped[i]) for fit in fitted))
        for i, name in enumerate(names)
    )
    note = " ".join(f"{fit.kind}: {fit.message}" for fit in fitted if not fit.converged)
    return Chart(slug, "Predictions against MOS", figure, columns, rows, note)


def residual_plot(names: Sequence[str], predictions, mos, *, fit_kind: str = RESIDUAL_FIT, slug="residuals") -> Chart:
    """MOS minus the mapped prediction, against the mapped prediction, with the zero line."""
    pred, target = np.asarray(predictions, dtype=float), np.asarray(mos, dtype=float)
    fit = fit_mapping(pred, target, fit_kind)
    residuals = target - fit.mapped
    low, high = float(fit.mapped.min()), float(fit.mapped.max())
    figure = {
        "data": [
            {"type": "scatter", "mode": "markers", "name": "images", "x": fit.mapped.tolist(),
             "y": residuals.tolist(), "text": list(names), "marker": {"color": PALETTE[0], "size": 7, "opacity": 0.7},
             "hovertemplate": "%{text}<br>mapped %{x:.3f}<br>residual %{y:.3f}<extra></extra>"},
            {"type": "scatter", "mode": "lines", "name": "zero residual", "x": [low, high], "y": [0, 0],
             "line": {"color": "#5b6675", "dash": "dash"}, "hoverinfo": "skip"},
        ],
        "layout": layout(title=f"Residuals after the {fit_label(fit)}",
                         x_title=f"Prediction mapped to MOS ({fit.kind})", y_title="MOS − mapped prediction"),
    }
    rows = tuple(
        (name, float(pred[i]), float(target[i]), float(fit.mapped[i]), float(residuals[i]))
        for i, name in enumerate(names)
    )
    columns = ("image", "prediction", "mos", f"mapped_{fit.kind}", "residual")
    return Chart(slug, "Residuals", figure, columns, rows, "" if fit.converged else fit.message)


def metrics_table(evaluation: Evaluation, *, slug: str = "metrics") -> Chart:
    """Every figure of one evaluation with its bootstrap 95% CI and the fit it used."""
    rows = []
    for name, label in METRIC_ROWS:
        fit = name.partition("_")[2] if name.startswith(("plcc_", "rmse_")) else ""
        if fit and fit not in evaluation.mapped:
            continue
        interval = evaluation.intervals.get(name)
        used = evaluation.mapped[fit].fit.used if fit else ""
        rows.append((name, label, finite_or_none(evaluation.value(name)), interval and interval.low,
                     interval and interval.high, used))
    ci_text = [f"[{number(low)}, {number(high)}]" if low is not None else "—" for *_, low, high, _ in rows]
    figure = table_figure(
        title=f"Metrics on {evaluation.n} images (bootstrap 95% CI, {evaluation.bootstrap.get('used', 0)} resamples)",
        header=("Metric", "Value", "95% CI", "Fit used"),
        columns=([row[1] for row in rows], [number(row[2], 4) for row in rows], ci_text, [row[5] for row in rows]),
    )
    note = " ".join(warning.message for warning in evaluation.warnings)
    columns = ("metric", "label", "value", "ci95_low", "ci95_high", "fit_used")
    return Chart(slug, "Metrics", figure, columns, tuple(rows), note)
