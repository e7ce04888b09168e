"""Readers that turn long-format ratings or sureal's raw dict into a :class:`ScoreMatrix`.

Every reader validates what it reads and names the row (or cell) and value to fix.
"""

import csv
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from moslab_science.mos.errors import MosInputError
from moslab_science.mos.matrix import ScoreMatrix, validate_scale

_DUPLICATES_NAMED = 5


def read_long_csv(
    path: str | Path,
    *,
    scale: tuple[float, float],
    stimulus_column: str = "stimulus",
    subject_column: str = "subject",
    score_column: str = "score",
    repetition_column: str = "repetition",
    dimension: str | None = None,
    dimension_column: str = "dimension",
) -> ScoreMatrix:
    """Read a long-format CSV (``stimulus,subject,score[,repetition][,dimension]``, other columns ignored).

    A ``dimension`` column names the rating dimension of each vote (a multi-score protocol); `dimension`
    keeps that dimension's rows. A CSV with several dimensions and no `dimension` chosen is refused,
    as their votes are not repetitions of one score. Row numbers in error messages are CSV line
    numbers (the header is line 1).
    """
    renames = {
        stimulus_column: "stimulus",
        subject_column: "subject",
        score_column: "score",
        repetition_column: "repetition",
    }
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in (stimulus_column, subject_column, score_column) if c not in header]
        if missing:
            raise MosInputError(
                f"{Path(path).name}: missing column(s) {', '.join(missing)}; the header is "
                f"{','.join(header) or '(empty)'}. Expected stimulus,subject,score[,repetition]."
            )
        rows = [{renames.get(k, k): v for k, v in row.items()} for row in reader]
    numbers = list(range(2, len(rows) + 2))
    if dimension_column in header:
        rows, numbers = _one_dimension(rows, numbers, [row.get(dimension_column) for row in rows], dimension,
                                       Path(path).name)
    elif dimension is not None:
        raise MosInputError(f"{Path(path).name}: no {dimension_column} column, so no votes of dimension "
                            f"{dimension!r}; leave the dimension out for a single-score CSV.")
    return matrix_from_long_rows(rows, scale=scale, row_numbers=numbers)


def _one_dimension(rows: list, numbers: list[int], cells: list, dimension: str | None, name: str):
    values = [("" if cell is None else str(cell)).strip() for cell in cells]
    found = sorted(set(values))
    if dimension is None:
        if len(found) > 1:
            raise MosInputError(f"{name} holds votes of several rating dimensions ({', '.join(map(repr, found))}); "
                                "compute one dimension at a time (--dimension NAME).")
        return rows, numbers
    kept = [index for index, value in enumerate(values) if value == dimension]
    if not kept:
        raise MosInputError(f"{name} has no vote of dimension {dimension!r}; its dimensions are "
                            f"{', '.join(map(repr, found)) or 'none'}.")
    return [rows[index] for index in kept], [numbers[index] for index in kept]


def matrix_from_long_rows(
    rows: Iterable[Mapping[str, object]], *, scale: tuple[float, float], first_row_number: int = 1,
    row_numbers: list[int] | None = None,
) -> ScoreMatrix:
    """Build a matrix from rows with keys ``stimulus``, ``subject``, ``score`` and optional ``repetition``.

    Stimuli and subjects keep the order of their first appearance. Without a repetition a
    row is repetition 1; a subject's votes on a stimulus are placed in repetition order.
    Errors name row `first_row_number + i`, or `row_numbers[i]` when given (rows kept from a longer file).
    """
    lo, hi = validate_scale(scale)
    stimulus_index: dict[str, int] = {}
    subject_index: dict[str, int] = {}
    stimulus_codes: list[int] = []
    subject_codes: list[int] = []
    scores: list[float] = []
    repetitions: list[int] = []
    for index, row in enumerate(rows):
        number = row_numbers[index] if row_numbers is not None else first_row_number + index
        stimulus = _required_text(row, "stimulus", number)
        subject = _required_text(row, "subject", number)
        stimulus_codes.append(stimulus_index.setdefault(stimulus, len(stimulus_index)))
        subject_codes.append(subject_index.setdefault(subject, len(subject_index)))
        scores.append(_score(row.get("score"), number, lo, hi))
        repetitions.append(_repetition(row.get("repetition"), number))
    if not scores:
        raise MosInputError("the study is empty: no rating rows were given.")
    stimuli = np.array(stimulus_codes)
    subjects = np.array(subject_codes)
    labels = np.array(repetitions)
    order = np.lexsort((labels, subjects, stimuli))
    _reject_duplicates(
        stimuli[order],
        subjects[order],
        labels[order],
        np.array(row_numbers)[order] if row_numbers is not None else order + first_row_number,
        tuple(stimulus_index),
        tuple(subject_index),
    )
    slot = _slot_within_cell(stimuli[order], subjects[order])
    matrix = np.full((len(stimulus_index), len(subject_index), int(slot.max()) + 1), np.nan)
    matrix[stimuli[order], subjects[order], slot] = np.array(scores)[order]
    return ScoreMatrix(matrix, tuple(stimulus_index), tuple(subject_index), (lo, hi))


def matrix_from_sureal_raw(
    raw: Mapping[str, Mapping[str, object]],
    *,
    scale: tuple[float, float],
    subject_ids: Iterable[str] | None = None,
) -> ScoreMatrix:
    """Build a matrix from sureal's raw form ``{stimulus: {subject: score | [scores] | None}}``.

    ``None`` (or an absent subject) is a missing vote; a list holds repetitions.
    """
    stimulus_ids = tuple(str(k) for k in raw)
    subjects = (
        list(subject_ids)
        if subject_ids is not None
        else list(dict.fromkeys(str(s) for votes in raw.values() for s in votes))
    )
    index = {s: i for i, s in enumerate(subjects)}
    cells: list[tuple[int, int, list[float]]] = []
    for e, (stimulus, votes) in enumerate(raw.items()):
        for subject, value in votes.items():
            if str(subject) not in index:
                raise MosInputError(f"stimulus {stimulus!r}: subject {subject!r} is not in the subject list.")
            values = value if isinstance(value, list | tuple) else [value]
            where = f"stimulus {stimulus!r}, subject {subject!r}"
            cells.append((e, index[str(subject)], [_raw_score(v, where) for v in values if v is not None]))
    depth = max((len(v) for _, _, v in cells), default=1) or 1
    matrix = np.full((len(stimulus_ids), len(subjects), depth), np.nan)
    for e, s, values in cells:
        matrix[e, s, : len(values)] = values
    return ScoreMatrix(matrix, stimulus_ids, tuple(subjects), scale)


def _required_text(row: Mapping[str, object], key: str, number: int) -> str:
    value = row.get(key)
    text = "" if value is None else str(value).strip()
    if not text:
        raise MosInputError(f"row {number}: the {key} is empty; every rating needs a {key} id.")
    return text


def _score(value: object, number: int, lo: float, hi: float) -> float:
    score = _number(value)
    if score is None:
        raise MosInputError(f"row {number}: score {value!r} is not a number; write a number between {lo:g} and {hi:g}.")
    if not lo <= score <= hi:
        raise MosInputError(
            f"row {number}: score {score:g} is outside the scale [{lo:g}, {hi:g}]; fix the score or the scale."
        )
    return score


def _raw_score(value: object, where: str) -> float:
    score = _number(value)
    if score is None:
        raise MosInputError(f"{where}: score {value!r} is not a number.")
    return score


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _repetition(value: object, number: int) -> int:
    if value is None or str(value).strip() == "":
        return 1
    try:
        return int(str(value).strip())
    except ValueError:
        raise MosInputError(f"row {number}: repetition {value!r} is not a whole number.") from None


def _reject_duplicates(
    stimuli: np.ndarray,
    subjects: np.ndarray,
    labels: np.ndarray,
    row_numbers: np.ndarray,
    stimulus_ids: tuple[str, ...],
    subject_ids: tuple[str, ...],
) -> None:
    same = (np.diff(stimuli) == 0) & (np.diff(subjects) == 0) & (np.diff(labels) == 0)
    if not same.any():
        return
    where = np.flatnonzero(same)
    described = "; ".join(
        f"rows {row_numbers[i]} and {row_numbers[i + 1]} (stimulus {stimulus_ids[stimuli[i]]!r}, "
        f"subject {subject_ids[subjects[i]]!r}, repetition {labels[i]})"
        for i in where[:_DUPLICATES_NAMED]
    )
    more = f" and {len(where) - _DUPLICATES_NAMED} more" if len(where) > _DUPLICATES_NAMED else ""
    raise MosInputError(
        f"{len(where)} duplicate rating(s): {described}{more}. Remove the duplicates, or number repeated "
        "ratings in a repetition column."
    )


def _slot_within_cell(stimuli: np.ndarray, subjects: np.ndarray) -> np.ndarray:
    """Position of each (sorted) row within its (stimulus, subject) cell: 0, 1, 2, ..."""
    new_cell = np.ones(len(stimuli), dtype=bool)
    new_cell[1:] = (np.diff(stimuli) != 0) | (np.diff(subjects) != 0)
    cell_start = np.maximum.accumulate(np.where(new_cell, np.arange(len(stimuli)), 0))
    return np.arange(len(stimuli)) - cell_start
