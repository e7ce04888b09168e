"""Metrics per group value (e.g. per enhancement type, per enhancer: the AU-IQA tables)."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from moslab_science.metrics.errors import MetricsInputError
from moslab_science.metrics.evaluation import Evaluation, evaluate_predictions


@dataclass(frozen=True)
class GroupBreakdown:
    column: str
    evaluations: dict[str, Evaluation]
    skipped: dict[str, str]  # group value -> why it has no figures (too few items, constant MOS...)

    def as_dict(self) -> dict[str, object]:
        return {
            "column": self.column,
            "groups": {value: evaluation.as_dict() for value, evaluation in self.evaluations.items()},
            "skipped": self.skipped,
        }


def evaluate_groups(predictions, mos, groups: Sequence[str], *, column: str, **options) -> GroupBreakdown:
    """``evaluate_predictions`` on the items of each group value, in sorted order of the values.

    A group on which no metric is defined is listed in ``skipped`` with the reason, never dropped silently.
    ``options`` go to ``evaluate_predictions`` (fits, resamples, seed).
    """
    pred = np.asarray(predictions, dtype=float)
    target = np.asarray(mos, dtype=float)
    labels = np.asarray(groups, dtype=object)
    if labels.shape != pred.shape:
        raise MetricsInputError(f"one group value per item is needed; got {labels.size} for {pred.size} items")
    evaluations, skipped = {}, {}
    for value in sorted(set(labels.tolist())):
        members = labels == value
        try:
            evaluations[value] = evaluate_predictions(pred[members], target[members], **options)
        except MetricsInputError as error:
            skipped[value] = str(error)
    return GroupBreakdown(column, evaluations, skipped)
