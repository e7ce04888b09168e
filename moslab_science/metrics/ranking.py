"""Rank groups: models a paired bootstrap cannot tell apart share a rank, and no tie is called a win.

Every model is scored on the same test items. The items are resampled jointly for all models
(``resamples`` draws, numpy's PCG64 seeded with ``seed``; a resample on which the MOS or any model's
predictions come out constant is dropped for all); the ranking figure is computed on each resample.
The leader of the first group is the model with the best figure; going down the order, every model
whose difference to the leader has a 95% percentile interval reaching 0 joins its group; the first one
the leader beats leads the next group, and so on (groups stay contiguous). A leaderboard highlights a
best model only when the first group holds one model.

Repeated splits (one test part per repeat) are ranked on the mean figure over the repeats: each
repeat's items are resampled on their own, and each resample's figure is the mean over the repeats.

Lower-is-better measures (NIQE, BRISQUE and the like, see ``LOWER_IS_BETTER_MEASURES``) are ranked on
their sign-corrected predictions (-score), so their SRCC reads like every other model's.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from moslab_science.metrics.bootstrap import RESAMPLED, Interval, percentile_interval, resample_indices
from moslab_science.metrics.correlations import checked_pair
from moslab_science.metrics.errors import MetricsInputError
from moslab_science.metrics.evaluation import composite_scores
from moslab_science.metrics.fits import MAPPINGS, fit_mapping, mapped_plcc
from moslab_science.metrics.paired import DEFAULT_PAIRED_RESAMPLES

# Fewer test items than this and a ranking is flagged as too small to mean much (CIs of SRCC tenths wide).
MIN_RANKING_ITEMS = 30
RANKING_METRICS = ("srcc", "plcc", "krcc", "plcc_poly3", "ntire2024", "vquala2025", "srcc_plcc")
_PARTS = {"ntire2024": ("srcc", "plcc", "plcc_poly3"), "vquala2025": ("srcc", "plcc"), "srcc_plcc": ("srcc", "plcc")}
# Raw scores of these measures fall as quality rises: a good model of this kind has a negative SRCC.
LOWER_IS_BETTER_MEASURES = {"niqe": "NIQE", "ilniqe": "IL-NIQE", "brisque": "BRISQUE", "piqe": "PIQE"}


def lower_is_better(model: str) -> bool:
    """Whether a model's name says its raw scores are lower-is-better (``niqe``, ``brisque-raw``, ``NIQE (x)``)."""
    head = model.strip().lower().replace("_", "-").split(" ")[0].split("-")[0]
    return head in LOWER_IS_BETTER_MEASURES


@dataclass(frozen=True)
class ScoredPart:
    """One test part: each model's predictions and the MOS of the same items, in the same order."""

    predictions: Mapping[str, Sequence[float]]
    mos: Sequence[float]


@dataclass(frozen=True)
class RankedModel:
    model: str
    value: float  # the ranking figure on the sign-corrected predictions (mean over repeats)
    ci95: Interval
    group: int  # 1 = the first rank group
    difference_ci95: Interval | None  # the leader compared with (this group's or, for a leader, the previous
    # group's) minus this model; None for the first model
    sign_corrected: bool

    def as_dict(self) -> dict[str, object]:
        return {"model": self.model, "value": self.value, "ci95": self.ci95.as_dict(), "group": self.group,
                "difference_to_leader_ci95": self.difference_ci95.as_dict() if self.difference_ci95 else None,
                "sign_corrected": self.sign_corrected}


@dataclass(frozen=True)
class Ranking:
    metric: str
    n: int  # test items (the smallest test part with repeats)
    models: tuple[RankedModel, ...]  # best first
    resamples: int  # used (after dropping degenerate draws)
    seed: int
    warnings: tuple[str, ...]

    @property
    def top_separable(self) -> bool:
        """True when one model alone forms the first group of several models: only then is there a best model."""
        return len(self.models) > 1 and sum(1 for model in self.models if model.group == 1) == 1

    @property
    def best(self) -> str | None:
        return self.models[0].model if self.top_separable else None

    def group_of(self, model: str) -> int | None:
        return next((ranked.group for ranked in self.models if ranked.model == model), None)

    def as_dict(self) -> dict[str, object]:
        return {"metric": self.metric, "n": self.n, "best": self.best, "top_separable": self.top_separable,
                "models": [model.as_dict() for model in self.models], "resamples": self.resamples, "seed": self.seed,
                "test": "paired percentile bootstrap over test items, each model against its group's leader",
                "warnings": list(self.warnings)}


def small_test_warning(n: int) -> str | None:
    """The warning for a test part of ``n`` items, or None when it is large enough to rank."""
    if n >= MIN_RANKING_ITEMS:
        return None
    return (f"The test part has only {n} items (fewer than {MIN_RANKING_ITEMS}): the models' confidence intervals "
            "are wide and a ranking on it means little. Use more images or a larger test ratio.")


def metric_rows(metric: str | Mapping[str, float], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The figure ``metric`` of each row of predictions ``x`` against MOS ``y`` (both (rows, items)); a mapping
    of weights is the weighted sum of the figures it names (srcc, plcc, krcc, plcc_<fit>)."""
    if isinstance(metric, Mapping):
        return sum(weight * _figure_rows(name, x, y) for name, weight in metric.items())
    if metric in _PARTS:
        parts = {name: RESAMPLED[name](x, y) for name in _PARTS[metric]}
        return composite_scores(parts["srcc"], parts["plcc"], parts.get("plcc_poly3", 0.0))[metric]
    return _figure_rows(metric, x, y)


def _figure_rows(name: str, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if name in RESAMPLED:
        return RESAMPLED[name](x, y)
    kind = name.removeprefix("plcc_")
    return np.array([mapped_plcc(fit_mapping(a, b, kind), b) for a, b in zip(x, y, strict=True)])


def rank_models(
    parts: Sequence[ScoredPart],
    *,
    metric: str | Mapping[str, float] = "srcc",
    lower_is_better_models: Iterable[str] = (),
    resamples: int = DEFAULT_PAIRED_RESAMPLES,
    seed: int = 0,
) -> Ranking:
    """Rank groups of the models present in every part (a model missing from one part is left out).

    ``metric``: a name of ``RANKING_METRICS``, or weights of figures (``{"srcc": 0.5, "plcc_logistic4": 0.5}``, a
    challenge's weighted score; a logistic fit per resample is slow, so use fewer resamples there).
    """
    weightable = (*RESAMPLED, *(f"plcc_{kind}" for kind in MAPPINGS))
    unknown = [metric] if isinstance(metric, str) and metric not in RANKING_METRICS else \
        [name for name in metric if name not in weightable] if not isinstance(metric, str) else []
    if unknown:
        raise MetricsInputError(f"cannot rank on {', '.join(unknown)}; choose from {', '.join(RANKING_METRICS)} "
                                "or weights of srcc, plcc, krcc and plcc_<fit>")
    if not parts:
        raise MetricsInputError("no test part to rank on")
    models = [model for model in parts[0].predictions if all(model in part.predictions for part in parts)]
    if not models:
        raise MetricsInputError("no model has predictions on every test part")
    flipped = set(lower_is_better_models) & set(models)
    points, draws, used = {model: [] for model in models}, {model: [] for model in models}, None
    for index, part in enumerate(parts):
        stacked, mos = _checked_part(part, models, flipped)
        for model, value in zip(models, metric_rows(metric, stacked, np.broadcast_to(mos, stacked.shape)),
                                strict=True):
            points[model].append(float(value))
        kept = _usable_draws(stacked, mos, resample_indices(mos.size, resamples=resamples, seed=seed + index))
        used = kept.shape[0] if used is None else min(used, kept.shape[0])
        for model, row in zip(models, stacked, strict=True):
            draws[model].append(metric_rows(metric, row[kept], mos[kept]))
    if used < 2:
        raise MetricsInputError("too few usable resamples to rank: the test part is too small or its MOS constant")
    values = {model: float(np.mean(points[model])) for model in models}
    resampled = {model: np.mean([found[:used] for found in draws[model]], axis=0) for model in models}
    n = min(np.asarray(part.mos).size for part in parts)
    warnings = [text for text in (small_test_warning(n),) if text]
    if flipped:
        warnings.append(f"Ranked on sign-corrected scores (-score) of lower-is-better measures: "
                        f"{', '.join(sorted(flipped))}.")
    label = metric if isinstance(metric, str) else "weighted"
    return Ranking(label, n, _grouped(values, resampled, flipped), int(used), seed, tuple(warnings))


def _checked_part(part: ScoredPart, models: Sequence[str], flipped: set[str]) -> tuple[np.ndarray, np.ndarray]:
    rows = []
    for model in models:
        pred, mos = checked_pair(part.predictions[model], part.mos)
        if np.ptp(pred) == 0 or np.ptp(mos) == 0:
            raise MetricsInputError(f"{model}: constant predictions or MOS on a test part; it cannot be ranked")
        rows.append(-pred if model in flipped else pred)
    return np.stack(rows), mos


def _usable_draws(stacked: np.ndarray, mos: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """The resamples on which neither the MOS nor any model's predictions are constant."""
    usable = np.ptp(mos[indices], axis=1) > 0
    for row in stacked:
        usable &= np.ptp(row[indices], axis=1) > 0
    return indices[usable]


def _grouped(values: Mapping[str, float], resampled: Mapping[str, np.ndarray], flipped: set[str]
             ) -> tuple[RankedModel, ...]:
    """Contiguous groups down the order of the figures: a group ends at the first model its leader beats."""
    ranked, group, leader = [], 0, None
    for model in sorted(values, key=lambda name: -values[name]):
        difference = None
        if leader is not None:
            difference = percentile_interval(resampled[leader] - resampled[model])
            if difference.low > 0:
                leader = None
        if leader is None:
            leader, group = model, group + 1
        ranked.append(RankedModel(model, values[model], percentile_interval(resampled[model]), group, difference,
                                  model in flipped))
    return tuple(ranked)
