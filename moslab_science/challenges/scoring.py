"""The challenge score: a formula named by a spec, computed from the one metrics module (no Django here).

A spec is JSON: ``{"formula": "ntire2024"}``, ``{"formula": "vquala2025"}`` or
``{"formula": "weighted", "weights": {"srcc": 0.5, "plcc_poly3": 0.5}}``.

* ``ntire2024``: (|SRCC| + |PLCC after a 3rd-order polynomial fit|) / 2 (NTIRE 2024 AIGIQA / T2VQA);
* ``vquala2025``: 0.6 SRCC + 0.4 PLCC, raw PLCC (VQualA 2025 ISRGC-Q);
* ``weighted``: sum of weight x metric over any of :data:`WEIGHTABLE`.
"""
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from moslab_science.challenges.errors import ChallengeInputError
from moslab_science.metrics import FITS, evaluate_predictions
from moslab_science.metrics.paired import DEFAULT_PAIRED_RESAMPLES

FORMULAS = ("ntire2024", "vquala2025", "weighted")
WEIGHTABLE = ("srcc", "plcc", "krcc", *(f"plcc_{fit}" for fit in FITS))
FORMULA_TEXT = {
    "ntire2024": "NTIRE 2024: (|SRCC| + |PLCC|) / 2, PLCC after a 3rd-order polynomial fit",
    "vquala2025": "VQualA 2025: 0.6 x SRCC + 0.4 x PLCC (PLCC without fitting)",
}
#: The figures stored with every scored submission, besides ``score`` and ``n``.
STORED = ("srcc", "plcc", "krcc", "plcc_poly3", "ntire2024", "vquala2025")
LOGISTIC_RANKING_RESAMPLES = 300


@dataclass(frozen=True)
class ScoreSpec:
    formula: str
    weights: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping) -> "ScoreSpec":
        """A checked spec; raises ChallengeInputError listing every problem."""
        if not isinstance(data, Mapping):
            raise ChallengeInputError("The score spec must be an object such as {\"formula\": \"ntire2024\"}.")
        formula, weights = data.get("formula"), data.get("weights") or {}
        problems = []
        unknown_keys = sorted(set(data) - {"formula", "weights"})
        if unknown_keys:
            problems.append(f"unknown key(s) {', '.join(unknown_keys)}; a spec has formula and weights")
        if formula not in FORMULAS:
            problems.append(f"formula {formula!r} is not one of {', '.join(FORMULAS)}")
        if not isinstance(weights, Mapping):
            problems.append("weights must map metric names to numbers")
            weights = {}
        if formula == "weighted":
            problems += _weight_problems(weights)
        elif weights:
            problems.append(f"weights are only for the weighted formula, not {formula!r}")
        if problems:
            raise ChallengeInputError("The score formula is not valid.", problems=problems)
        return cls(formula, {name: float(value) for name, value in weights.items()})

    def as_dict(self) -> dict[str, object]:
        return {"formula": self.formula, "weights": dict(self.weights)} if self.weights else {"formula": self.formula}

    def text(self) -> str:
        """The formula in words, for the challenge page and the participants' README."""
        if self.formula in FORMULA_TEXT:
            return FORMULA_TEXT[self.formula]
        terms = " + ".join(f"{weight:g} x {_metric_text(name)}" for name, weight in self.weights.items())
        return f"Weighted: {terms}"

    def fits(self) -> tuple[str, ...]:
        """The fitted mappings the formula needs (poly3 is always computed, for the NTIRE score)."""
        return tuple(dict.fromkeys(("poly3", *(name[5:] for name in self.weights if name.startswith("plcc_")))))


def _weight_problems(weights: Mapping) -> list[str]:
    if not weights:
        return [f"the weighted formula needs weights, e.g. {{\"srcc\": 0.6, \"plcc\": 0.4}}; "
                f"metrics: {', '.join(WEIGHTABLE)}"]
    problems = []
    for name, value in weights.items():
        if name not in WEIGHTABLE:
            problems.append(f"weight of unknown metric {name!r}; choose from {', '.join(WEIGHTABLE)}")
        elif isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            problems.append(f"the weight of {name} must be a finite number, not {value!r}")
    if not problems and all(value == 0 for value in weights.values()):
        problems.append("at least one weight must be non-zero")
    return problems


def _metric_text(name: str) -> str:
    if name.startswith("plcc_"):
        return f"PLCC after a {name[5:]} fit"
    return name.upper()


def score_predictions(spec: ScoreSpec, predictions: Mapping[str, float], mos: Mapping[str, float]) -> dict:
    """Every stored figure plus ``score`` (the challenge score) and ``n``, over the images of ``mos``.

    ``predictions`` must cover exactly the images of ``mos`` (checked by :mod:`moslab_science.challenges.predictions`).
    Raises MetricsInputError on input no correlation is defined for (constant predictions or MOS).
    """
    names = sorted(mos)
    missing = [name for name in names if name not in predictions]
    if missing or len(predictions) != len(names):
        raise ChallengeInputError("The predictions do not cover exactly the scored images.")
    pred = np.array([predictions[name] for name in names], dtype=float)
    target = np.array([mos[name] for name in names], dtype=float)
    evaluation = evaluate_predictions(pred, target, fits=spec.fits(), resamples=0)
    figures = {name: float(evaluation.value(name)) for name in STORED}
    figures.update({name: float(evaluation.value(name)) for name in spec.weights})
    figures["score"] = challenge_score(spec, figures)
    figures["n"] = evaluation.n
    return {"figures": figures, "warnings": [warning.as_dict() for warning in evaluation.warnings]}


def ranking_metric(spec: ScoreSpec) -> tuple[str | dict[str, float], int]:
    """What the rank groups of a leaderboard compare (the challenge score) and with how many paired resamples:
    fewer when the score needs a logistic fit on every resample (seconds per team otherwise)."""
    if spec.formula in ("ntire2024", "vquala2025"):
        return spec.formula, DEFAULT_PAIRED_RESAMPLES
    slow = any(name.startswith("plcc_logistic") for name in spec.weights)
    return dict(spec.weights), LOGISTIC_RANKING_RESAMPLES if slow else DEFAULT_PAIRED_RESAMPLES


def challenge_score(spec: ScoreSpec, figures: Mapping[str, float]) -> float:
    """The challenge score from the figures of one submission (those :func:`score_predictions` stores)."""
    if spec.formula in ("ntire2024", "vquala2025"):
        return float(figures[spec.formula])
    return float(sum(weight * figures[name] for name, weight in spec.weights.items()))
