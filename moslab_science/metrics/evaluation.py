"""Every metric of one prediction set against MOS, each tagged with the fit it used, plus bootstrap CIs."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from moslab_science.metrics.bootstrap import (
    LEVEL,
    Interval,
    degenerate_rows,
    percentile_interval,
    resample_indices,
    resampled_correlations,
)
from moslab_science.metrics.correlations import checked_pair, krcc, pearson, require_variation, srcc, tied_share
from moslab_science.metrics.errors import MetricWarning
from moslab_science.metrics.fits import FITS, FitResult, fit_mapping, mapped_plcc

# Below this many items every figure is reported, with a warning that it means little.
FEW_ITEMS = 10
DEFAULT_RESAMPLES = 1000


def composite_scores(srcc_value, plcc_value, plcc_poly3_value) -> dict[str, object]:
    """Challenge scores from their parts (floats, or arrays of resampled values).

    ``ntire2024``: (|SRCC| + |PLCC after the cubic mapping|) / 2; ``vquala2025``: 0.6 SRCC + 0.4 PLCC;
    ``srcc_plcc``: SRCC + PLCC, the checkpoint-selection criterion of MA-AGIQA (raw PLCC in both).
    """
    return {
        "ntire2024": (abs(srcc_value) + abs(plcc_poly3_value)) / 2,
        "vquala2025": 0.6 * srcc_value + 0.4 * plcc_value,
        "srcc_plcc": srcc_value + plcc_value,
    }


def selection_score(predictions, mos) -> float:
    """SRCC + PLCC (MA-AGIQA's checkpoint criterion); raises UndefinedMetricError on constant input."""
    pred, target = checked_pair(predictions, mos)
    require_variation(pred, target)
    return srcc(pred, target) + pearson(pred, target)


@dataclass(frozen=True)
class MappedMetrics:
    fit: FitResult
    plcc: float
    rmse: float

    def as_dict(self) -> dict[str, object]:
        return {**self.fit.as_dict(), "plcc": self.plcc, "rmse": self.rmse}


@dataclass(frozen=True)
class Evaluation:
    n: int
    srcc: float
    krcc: float
    plcc: float
    mapped: dict[str, MappedMetrics]
    scores: dict[str, float]
    intervals: dict[str, Interval]
    bootstrap: dict[str, object]
    warnings: tuple[MetricWarning, ...]

    def value(self, name: str) -> float:
        """A figure by name: srcc, krcc, plcc, a score name, or plcc_<fit> / rmse_<fit>."""
        if name in ("srcc", "krcc", "plcc"):
            return getattr(self, name)
        if name in self.scores:
            return self.scores[name]
        figure, _, fit = name.partition("_")
        return getattr(self.mapped[fit], figure)

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "srcc": self.srcc,
            "krcc": self.krcc,
            "plcc": self.plcc,
            "mapped": {kind: metrics.as_dict() for kind, metrics in self.mapped.items()},
            "scores": self.scores,
            "ci95": {name: interval.as_dict() for name, interval in self.intervals.items()},
            "bootstrap": self.bootstrap,
            "warnings": [warning.as_dict() for warning in self.warnings],
        }


def evaluate_predictions(
    predictions,
    mos,
    *,
    fits: Sequence[str] = FITS,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> Evaluation:
    """All metrics of ``predictions`` against ``mos`` (same order); ``resamples=0`` skips the bootstrap.

    Raises MetricsInputError (NaN, lengths, too few items) or UndefinedMetricError (constant input).
    """
    pred, target = checked_pair(predictions, mos)
    require_variation(pred, target)
    fits = tuple(dict.fromkeys((*fits, "poly3")))  # the NTIRE 2024 score needs the cubic
    found = []
    mapped = {}
    for kind in fits:
        fit = fit_mapping(pred, target, kind)
        mapped[kind] = MappedMetrics(fit, mapped_plcc(fit, target), float(np.sqrt(np.mean((fit.mapped - target) ** 2))))
        if not fit.converged:
            found.append(MetricWarning("fit_fallback", fit.message))
        elif fit.step:
            found.append(MetricWarning("fit_step", fit.message))
    srcc_value, plcc_value = srcc(pred, target), pearson(pred, target)
    scores = composite_scores(srcc_value, plcc_value, mapped["poly3"].plcc)
    intervals, bootstrap = _bootstrap(pred, target, resamples=resamples, seed=seed, found=found)
    return Evaluation(
        n=pred.size,
        srcc=srcc_value,
        krcc=krcc(pred, target),
        plcc=plcc_value,
        mapped=mapped,
        scores=scores,
        intervals=intervals,
        bootstrap=bootstrap,
        warnings=tuple(_input_warnings(pred) + found),
    )


def _input_warnings(pred: np.ndarray) -> list[MetricWarning]:
    found = []
    if pred.size < FEW_ITEMS:
        found.append(
            MetricWarning("few_items", f"only {pred.size} items: every figure here is very uncertain (see ci95)")
        )
    share = tied_share(pred)
    if share > 0:
        found.append(
            MetricWarning(
                "tied_predictions",
                f"{share:.1%} of predictions tie with another: SRCC uses their mean rank, KRCC is tau-b",
            )
        )
    return found


def _bootstrap(
    pred: np.ndarray, target: np.ndarray, *, resamples: int, seed: int, found: list[MetricWarning]
) -> tuple[dict[str, Interval], dict[str, object]]:
    settings: dict[str, object] = {"resamples": resamples, "seed": seed, "level": LEVEL, "method": "percentile"}
    if resamples <= 0:
        return {}, {**settings, "used": 0}
    indices = resample_indices(pred.size, resamples=resamples, seed=seed)
    degenerate = degenerate_rows(pred, target, indices)
    kept = indices[~degenerate]
    if degenerate.any():
        found.append(
            MetricWarning(
                "degenerate_resamples",
                f"{int(degenerate.sum())} of {resamples} resamples had constant predictions or MOS and were dropped",
            )
        )
    if kept.shape[0] < 2:
        found.append(MetricWarning("no_intervals", "too few usable resamples for a confidence interval"))
        return {}, {**settings, "used": int(kept.shape[0])}
    values = resampled_correlations(pred, target, kept)
    values.update(composite_scores(values["srcc"], values["plcc"], values["plcc_poly3"]))
    return {name: percentile_interval(v) for name, v in values.items()}, {**settings, "used": int(kept.shape[0])}
