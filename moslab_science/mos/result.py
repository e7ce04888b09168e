"""The result of one MOS computation, and its JSON form."""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from moslab_science.mos.errors import MosWarning


@dataclass(frozen=True, eq=False)
class MosResult:
    """Per-stimulus arrays (over ``stimulus_ids``) and per-subject arrays (over ``subject_ids``).

    ``ci95`` is a half-width. Per-subject fields a method does not produce are ``None``;
    inside an array NaN means "not defined for this one" and a warning says why.
    ``n`` counts the votes behind each stimulus's estimate (after any rejection).
    """

    method: str
    mode: str
    parameters: Mapping[str, object]
    scale: tuple[float, float]
    stimulus_ids: tuple[str, ...]
    subject_ids: tuple[str, ...]
    mos: np.ndarray
    std: np.ndarray | None
    ci95: np.ndarray
    n: np.ndarray
    rejected: np.ndarray | None = None
    p: np.ndarray | None = None
    q: np.ndarray | None = None
    reasons: tuple[str, ...] | None = None
    bias: np.ndarray | None = None
    bias_ci95: np.ndarray | None = None
    inconsistency: np.ndarray | None = None
    inconsistency_ci95: np.ndarray | None = None
    warnings: tuple[MosWarning, ...] = ()

    @property
    def rejected_subjects(self) -> tuple[str, ...]:
        if self.rejected is None:
            return ()
        return tuple(s for s, out in zip(self.subject_ids, self.rejected, strict=True) if out)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: ``{"method", "mode", "parameters", "scale", "warnings", "stimuli", "subjects"}``."""
        return {
            "method": self.method,
            "mode": self.mode,
            "parameters": dict(self.parameters),
            "scale": [self.scale[0], self.scale[1]],
            "warnings": [w.as_dict() for w in self.warnings],
            "stimuli": {
                stimulus: {
                    "mos": _number(self.mos[i]),
                    "std": _number(self.std[i]) if self.std is not None else None,
                    "ci95": _number(self.ci95[i]),
                    "n": int(self.n[i]),
                }
                for i, stimulus in enumerate(self.stimulus_ids)
            },
            "subjects": {
                subject: {
                    "rejected": _item(self.rejected, i, bool),
                    "P": _item(self.p, i, int),
                    "Q": _item(self.q, i, int),
                    "bias": _item(self.bias, i, float),
                    "inconsistency": _item(self.inconsistency, i, float),
                    "reason": self.reasons[i] if self.reasons is not None else None,
                }
                for i, subject in enumerate(self.subject_ids)
            },
        }


def _number(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _item(values: np.ndarray | None, index: int, kind: type) -> object:
    if values is None:
        return None
    value = values[index]
    if kind is float:
        return _number(value)
    return kind(value)
