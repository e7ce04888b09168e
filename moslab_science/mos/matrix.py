"""The score matrix every estimator consumes: votes of subjects on stimuli, with repetitions."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from moslab_science.mos.errors import MosInputError, name_ids


@dataclass(frozen=True, eq=False)
class ScoreMatrix:
    """Votes as a read-only float array of shape (stimuli, subjects, repetitions), NaN = missing.

    ``scale`` is the rating scale ``(lo, hi)``: every vote must lie in it. Repetition ``r``
    of a cell is that subject's ``r``-th vote on that stimulus; cells with fewer votes
    are NaN-padded. A 2-D array is taken as one repetition.

    The array is always stored C-contiguous, whatever layout it came in (``keep_subjects`` slices columns, which
    NumPy returns column-ordered): NumPy's sums run in a layout-dependent order, and sureal-mode BT.500 compares
    its float bounds exactly, so a vote on the boundary must fall on the same side whichever path built the matrix.
    """

    scores: np.ndarray
    stimulus_ids: tuple[str, ...]
    subject_ids: tuple[str, ...]
    scale: tuple[float, float]

    def __post_init__(self) -> None:
        scores = np.array(self.scores, dtype=float, order="C")
        if scores.ndim == 2:
            scores = scores[:, :, None]
        if scores.ndim != 3:
            raise MosInputError(
                f"scores must have shape (stimuli, subjects, repetitions); got {scores.ndim} dimensions."
            )
        stimulus_ids = tuple(map(str, self.stimulus_ids))
        subject_ids = tuple(map(str, self.subject_ids))
        _check_ids("stimulus", stimulus_ids, scores.shape[0])
        _check_ids("subject", subject_ids, scores.shape[1])
        scale = validate_scale(self.scale)
        _check_votes(scores, stimulus_ids, subject_ids, scale)
        scores.setflags(write=False)
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "stimulus_ids", stimulus_ids)
        object.__setattr__(self, "subject_ids", subject_ids)
        object.__setattr__(self, "scale", scale)

    @property
    def n_stimuli(self) -> int:
        return self.scores.shape[0]

    @property
    def n_subjects(self) -> int:
        return self.scores.shape[1]

    @property
    def n_repetitions(self) -> int:
        return self.scores.shape[2]

    @property
    def votes_per_stimulus(self) -> np.ndarray:
        return np.sum(~np.isnan(self.scores), axis=(1, 2))

    @property
    def votes_per_subject(self) -> np.ndarray:
        return np.sum(~np.isnan(self.scores), axis=(0, 2))

    def keep_subjects(self, keep: np.ndarray) -> "ScoreMatrix":
        """The same study restricted to the subjects where ``keep`` is true."""
        keep = np.asarray(keep, dtype=bool)
        return ScoreMatrix(
            scores=self.scores[:, keep, :],
            stimulus_ids=self.stimulus_ids,
            subject_ids=tuple(s for s, k in zip(self.subject_ids, keep, strict=True) if k),
            scale=self.scale,
        )


def _check_ids(kind: str, ids: Sequence[str], expected: int) -> None:
    if len(ids) != expected:
        raise MosInputError(f"{len(ids)} {kind} ids given for {expected} {kind} rows of the score array.")
    if len(set(ids)) == len(ids):
        return
    seen: set[str] = set()
    repeated = tuple(dict.fromkeys(i for i in ids if i in seen or seen.add(i)))
    raise MosInputError(f"{kind} ids must be unique; repeated: {name_ids(repeated)}.")


def validate_scale(scale: Sequence[float]) -> tuple[float, float]:
    """The scale as two floats ``(lo, hi)``, or an error saying what is wrong with it."""
    try:
        lo, hi = (float(v) for v in scale)
    except (TypeError, ValueError) as error:
        raise MosInputError(f"scale must be two numbers (lo, hi); got {scale!r}.") from error
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise MosInputError(f"scale must be finite with lo < hi; got ({lo}, {hi}).")
    return lo, hi


def _check_votes(
    scores: np.ndarray,
    stimulus_ids: tuple[str, ...],
    subject_ids: tuple[str, ...],
    scale: tuple[float, float],
) -> None:
    if scores.size == 0 or np.all(np.isnan(scores)):
        raise MosInputError("the study is empty: it holds no votes. Import ratings before computing a MOS.")
    lo, hi = scale
    with np.errstate(invalid="ignore"):
        bad = np.isinf(scores) | (scores < lo) | (scores > hi)
    if bad.any():
        e, s, r = (int(i[0]) for i in np.nonzero(bad))
        raise MosInputError(
            f"{int(bad.sum())} vote(s) outside the scale [{lo:g}, {hi:g}], the first "
            f"{float(scores[e, s, r])!r} by subject {subject_ids[s]!r} on stimulus {stimulus_ids[e]!r} "
            f"(repetition {r + 1}). Fix the votes or the scale."
        )
