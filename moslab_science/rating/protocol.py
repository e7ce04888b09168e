"""The rating protocol as plain Python: scale, deduction guideline, quality control and cross-check settings.

Follows AU-IQA (MM '25): every image starts at the top of the scale and loses points by the severity
of problems in four aspects, resolution and distortion weighing most. A study's protocol is stored
as JSON (studies.StudyProtocol.config); `protocol_from_dict` merges it over the defaults and validates.
The scale and the raters per stimulus are the study's own settings, not the protocol's: the protocol
is built on the study's scale (`scale_min`, `scale_max`) and holds no copy of either.

A protocol may ask for several scores per stimulus (`dimensions`, e.g. technical, aesthetic and
alignment as in AIGC-VQA); the deduction guideline then guides the first dimension.
"""
import copy
import math
import re
from dataclasses import dataclass

from moslab_science.rating.protocol_limits import (
    MAX_VIEWING_SECONDS,
    number_problems,
    real_problem,
    shape_problems,
)

ACR5 = "acr5"
SLIDER100 = "slider100"
ACR_LABELS = ("Bad", "Poor", "Fair", "Good", "Excellent")
SCALES = {ACR5: (1.0, 5.0), SLIDER100: (0.0, 100.0)}  # the study scales a rating page offers: name -> (min, max)

DEFAULTS: dict = {
    "aspects": [
        {"key": "resolution", "label": "Resolution / sharpness", "weight": 1.5, "shortcut": "r"},
        {"key": "brightness", "label": "Brightness / exposure", "weight": 1.0, "shortcut": "b"},
        {"key": "noise", "label": "Noise", "weight": 1.0, "shortcut": "n"},
        {"key": "distortion", "label": "Distortion / artefacts", "weight": 1.5, "shortcut": "d"},
    ],
    "severities": [
        {"key": "none", "label": "None", "points": 0.0},
        {"key": "slight", "label": "Slight", "points": 0.5},
        {"key": "moderate", "label": "Moderate", "points": 1.0},
        {"key": "severe", "label": "Severe", "points": 2.0},
    ],
    "instructions": (
        "Every image starts at 5 (Excellent). For each aspect, choose how severe its problems are; "
        "each choice deducts points, resolution and distortion weighing most. The page suggests the "
        "resulting score: confirm it, or choose another score and say in one line why."
    ),
    "examples": [],
    "reason_tolerance": 0.5,
    "qualification_threshold": 0.7,
    "gold_every": 0,
    "gold_pause_after": 0,
    "repeats_per_block": 0,
    "block_size": 50,
    "break_seconds": 120,
    "consistency": {"min_range": 2.0, "max_deviation": 1.5, "max_std": None},
    "relabel_rounds": 2,
    "completion_code": True,
    "dimensions": [],
    "show_prompt": False,
    "replay": True,
    "min_viewing_seconds": 0,
}
MAX_DIMENSIONS = 6
RESERVED_KEYS = ("f", "g")  # the rating page's fullscreen and guideline keys
DIMENSION_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class ProtocolError(ValueError):
    """A protocol configuration that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Aspect:
    key: str
    label: str
    weight: float
    shortcut: str


@dataclass(frozen=True)
class Severity:
    key: str
    label: str
    points: float


@dataclass(frozen=True)
class Dimension:
    """One score asked for each stimulus; `name` is stored on each Rating row (`Rating.dimension`)."""

    name: str
    label: str


@dataclass(frozen=True)
class ConsistencyRule:
    min_range: float | None
    max_deviation: float | None
    max_std: float | None


def off_scale_problem(score: float, *, scale_min: float, scale_max: float) -> str | None:
    """Why `score` is not on the scale from `scale_min` to `scale_max` (None when it is): the one score-on-scale
    rule, for protocol checks and for every vote a study stores."""
    if not (scale_min <= score <= scale_max) or not math.isfinite(score):
        return f"Score {score:g} is off the scale; give a score from {scale_min:g} to {scale_max:g}."
    return None


@dataclass(frozen=True)
class Protocol:
    scale_min: float  # the study's scale
    scale_max: float
    aspects: tuple[Aspect, ...]
    severities: tuple[Severity, ...]
    instructions: str
    examples: tuple[dict, ...]
    reason_tolerance: float
    qualification_threshold: float
    gold_every: int
    gold_pause_after: int
    repeats_per_block: int
    block_size: int
    break_seconds: int
    consistency: ConsistencyRule
    relabel_rounds: int
    completion_code: bool
    dimensions: tuple[Dimension, ...] = ()
    show_prompt: bool = False
    replay: bool = True
    min_viewing_seconds: float = 0.0  # the page unlocks scoring after it; a vote claiming less is refused

    @property
    def dimension_names(self) -> tuple[str, ...]:
        """The `Rating.dimension` of each score of a vote, in order: ("",) for a single-score protocol."""
        return tuple(d.name for d in self.dimensions) or ("",)

    @property
    def scale(self) -> str:
        """ACR5 (five labelled whole steps) on a 1-5 scale; a continuous slider on any other."""
        return ACR5 if (self.scale_min, self.scale_max) == SCALES[ACR5] else SLIDER100

    @property
    def point_value(self) -> float:
        """One guideline point in scale units (one ACR step; a quarter of the slider)."""
        return (self.scale_max - self.scale_min) / 4

    def suggested_score(self, deductions: dict[str, str]) -> float:
        """The top of the scale minus the weighted deductions, clamped: its exact value (4.5 stays 4.5, not a
        whole step), kept to millionths (halves up, as the page's script) only to drop floating-point noise."""
        points = {severity.key: severity.points for severity in self.severities}
        total = sum(aspect.weight * points[deductions.get(aspect.key, "none")] for aspect in self.aspects)
        value = self.scale_max - total * self.point_value
        value = min(self.scale_max, max(self.scale_min, value))
        return math.floor(value * 1e6 + 0.5) / 1e6

    def viewing_problem(self, response_time_ms: int | None) -> str | None:
        """Why a vote came sooner than the protocol's minimum viewing time (None when it did not, or there is none).

        The time is the page's own measure, from the moment the item was shown (a video: from the end of its
        first play) to the vote, sent with the vote as `response_time_ms` and stored with it.
        """
        if not self.min_viewing_seconds:
            return None
        if response_time_ms is None or response_time_ms < self.min_viewing_seconds * 1000:
            shown = "does not say how long the item was shown" if response_time_ms is None else (
                f"came {response_time_ms / 1000:.1f} s after the item was shown")
            return (f"Look at each item for at least {self.min_viewing_seconds:g} s before rating it; this vote "
                    f"{shown}. Rate it again after looking at it.")
        return None

    def score_problems(self, score: float) -> list[str]:
        """Why one score is not on this protocol's scale; empty when it is."""
        problem = off_scale_problem(score, scale_min=self.scale_min, scale_max=self.scale_max)
        if problem:
            return [problem]
        if self.scale == ACR5 and score != int(score):
            return [f"Score {score:g} is not one of the scale's values 1, 2, 3, 4, 5."]
        return []

    def scores_problems(
        self, *, scores: dict[str, float], deductions: dict[str, str], reason: str, check_reason: bool = True,
    ) -> list[str]:
        """Why a vote with one score per dimension (single protocol: {"": score}) cannot be stored.

        Every dimension needs a score; each problem names its dimension. The guideline (deductions and
        the reason for a score far from its suggestion) applies to the first dimension.
        """
        names = self.dimension_names
        unknown = sorted(set(scores) - set(names))
        if not self.dimensions:
            if unknown or "" not in scores:
                return ["This protocol asks for a single score: send score, not scores."]
            return self.vote_problems(score=scores[""], deductions=deductions, reason=reason,
                                      check_reason=check_reason)
        problems = []
        if unknown:
            problems.append(f"Unknown dimension{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                            f"this protocol asks for {', '.join(names)}.")
        for index, dimension in enumerate(self.dimensions):
            where = f"{dimension.label} ({dimension.name}): "
            if scores.get(dimension.name) is None:
                problems.append(f"{where}no score given; every dimension needs one "
                                f"({self.scale_min:g} to {self.scale_max:g}).")
            elif index == 0:
                problems += [where + problem for problem in self.vote_problems(
                    score=scores[dimension.name], deductions=deductions, reason=reason, check_reason=check_reason)]
            else:
                problems += [where + problem for problem in self.score_problems(scores[dimension.name])]
        return problems

    def vote_problems(
        self, *, score: float, deductions: dict[str, str], reason: str, check_reason: bool = True,
    ) -> list[str]:
        """Why a vote cannot be stored under this protocol; empty when it can."""
        problems = self.score_problems(score)
        aspects = {aspect.key for aspect in self.aspects}
        severities = {severity.key for severity in self.severities}
        for key, value in deductions.items():
            if key not in aspects:
                problems.append(f"Unknown aspect {key!r}; the guideline has {', '.join(sorted(aspects))}.")
            elif value not in severities:
                problems.append(f"Unknown severity {value!r} for {key}; choose {', '.join(sorted(severities))}.")
        if problems:
            return problems
        if check_reason and self.needs_reason(score=score, deductions=deductions) and not reason.strip():
            problems.append(
                f"Your score {score:g} differs from the guideline's {self.suggested_score(deductions):g} "
                "for the problems you ticked; say in one line why."
            )
        return problems

    def needs_reason(self, *, score: float, deductions: dict[str, str]) -> bool:
        """A score further than `reason_tolerance` points from the exact suggestion needs a one-line reason (the
        page's script applies the same rule; both are checked on tests/annotation/suggested_score_cases.json)."""
        return abs(score - self.suggested_score(deductions)) > self.reason_tolerance * self.point_value

    def choices(self) -> list[tuple[int, str]]:
        return list(zip(range(1, 6), ACR_LABELS, strict=True)) if self.scale == ACR5 else []

    def as_client(self) -> dict:
        """What the rating page needs: no reference scores, nothing about other raters."""
        return {
            "scale": self.scale, "min": self.scale_min, "max": self.scale_max, "point_value": self.point_value,
            "labels": list(ACR_LABELS) if self.scale == ACR5 else [],
            "aspects": [vars(aspect) for aspect in self.aspects],
            "severities": [vars(severity) for severity in self.severities],
            "reason_tolerance": self.reason_tolerance,
            "dimensions": [vars(dimension) for dimension in self.dimensions],
            "show_prompt": self.show_prompt, "replay": self.replay, "min_viewing_seconds": self.min_viewing_seconds,
        }


def protocol_from_dict(data: dict | None, *, scale_min: float, scale_max: float) -> Protocol:
    """Merge `data` over DEFAULTS and validate, on the study's scale; raises ProtocolError with every problem found."""
    merged = copy.deepcopy(DEFAULTS)
    unknown = sorted(set(data or {}) - set(DEFAULTS))
    if unknown:
        raise ProtocolError(f"Unknown protocol settings: {', '.join(unknown)}.")
    for key, value in (data or {}).items():
        if key == "consistency" and isinstance(value, dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    problems = shape_problems(merged)
    if problems:
        raise ProtocolError("The protocol cannot be used: " + "; ".join(problems) + ".")
    problems = number_problems(merged)
    aspects = tuple(Aspect(a["key"], a["label"], float(a["weight"]), a.get("shortcut", a["key"][0]))
                    for a in merged["aspects"])
    severities = tuple(Severity(s["key"], s["label"], float(s["points"])) for s in merged["severities"])
    problems += [problem for aspect in aspects if (problem := real_problem("weight", aspect.weight))][:1]
    problems += [problem for severity in severities if (problem := real_problem("points", severity.points))][:1]
    if not all(isinstance(e, dict) and isinstance(e.get("stimulus"), str) and isinstance(e.get("caption"), str)
               for e in merged["examples"]):
        problems.append("each example needs a stimulus (an image name of the study) and a caption")
    if "none" not in {s.key for s in severities}:
        problems.append("severities must include 'none' (no deduction)")
    shortcuts = [a.shortcut for a in aspects]
    if len(set(shortcuts)) != len(shortcuts) or any(len(s) != 1 or not s.isalpha() or s.lower() in RESERVED_KEYS
                                                    for s in shortcuts):
        problems.append("aspect shortcuts must be distinct letters other than f (fullscreen) and g (guideline)")
    viewing = merged["min_viewing_seconds"]
    if isinstance(viewing, bool) or not isinstance(viewing, int | float) or not 0 <= viewing <= MAX_VIEWING_SECONDS:
        problems.append(f"min_viewing_seconds is a number of seconds from 0 (off) to {MAX_VIEWING_SECONDS}")
    dimensions, dimension_problems = _dimensions(merged["dimensions"])
    problems += dimension_problems
    if problems:
        raise ProtocolError("The protocol cannot be used: " + "; ".join(problems) + ".")
    rule = merged["consistency"]
    return Protocol(
        scale_min=float(scale_min), scale_max=float(scale_max), aspects=aspects,
        severities=severities, instructions=str(merged["instructions"]), examples=tuple(merged["examples"]),
        reason_tolerance=float(merged["reason_tolerance"]),
        qualification_threshold=float(merged["qualification_threshold"]), gold_every=merged["gold_every"],
        gold_pause_after=merged["gold_pause_after"], repeats_per_block=merged["repeats_per_block"],
        block_size=merged["block_size"], break_seconds=merged["break_seconds"],
        consistency=ConsistencyRule(rule.get("min_range"), rule.get("max_deviation"), rule.get("max_std")),
        relabel_rounds=merged["relabel_rounds"], completion_code=bool(merged["completion_code"]),
        dimensions=dimensions, show_prompt=merged["show_prompt"], replay=merged["replay"],
        min_viewing_seconds=float(merged["min_viewing_seconds"]),
    )


def _dimensions(rows) -> tuple[tuple[Dimension, ...], list[str]]:
    """The rating dimensions of a config, and what is wrong with them (empty list: a single score)."""
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        return (), ["dimensions must be a list of {\"name\": ..., \"label\": ...}"]
    problems = []
    if len(rows) > MAX_DIMENSIONS:
        problems.append(f"at most {MAX_DIMENSIONS} dimensions ({len(rows)} given)")
    dimensions = []
    for row in rows:
        name, label = row.get("name"), row.get("label")
        if not isinstance(name, str) or not DIMENSION_NAME.match(name):
            problems.append(f"dimension name {name!r} must be a slug: lower-case letters, digits, - or _, "
                            "at most 40 characters")
        elif not isinstance(label, str) or not label.strip() or len(label) > 80:
            problems.append(f"dimension {name!r} needs a label of 1 to 80 characters")
        elif extra := sorted(set(row) - {"name", "label"}):
            problems.append(f"dimension {name!r} has unknown settings {', '.join(extra)}")
        else:
            dimensions.append(Dimension(name, label.strip()))
    names = [row.get("name") for row in rows]
    repeated = sorted({name for name in names if isinstance(name, str) and names.count(name) > 1})
    if repeated:
        problems.append(f"dimension names must be unique ({', '.join(repeated)} repeated)")
    if len(rows) == 1 and not problems:
        problems.append("one dimension is the single score: leave dimensions empty, or give two or more")
    return tuple(dimensions), problems
