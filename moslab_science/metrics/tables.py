"""Prediction files and MOS tables (CSV) read, checked and joined on the image name.

A prediction file has columns ``image,score`` (what ``iqa predict`` and ``iqa baseline`` write); a
MOS table has ``image,mos`` plus any split and group columns. Every problem found is reported at
once, with the CSV line (the header is line 1).
"""

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from moslab_science.csv_safe import FORMULA_PREFIXES, safe_cell
from moslab_science.metrics.errors import MetricsInputError
from moslab_science.mos.errors import name_ids

PREDICTION_COLUMNS = ("image", "score")


@dataclass(frozen=True)
class Joined:
    """Predictions and MOS of the same images, in the table's row order."""

    names: tuple[str, ...]
    predictions: np.ndarray
    mos: np.ndarray
    groups: tuple[str, ...] | None


def read_rows(path: str | Path, *, required: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of a CSV as dicts, after checking that ``required`` columns exist."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return rows_from_text(handle, label=path.name, required=required)
    except OSError as error:
        raise MetricsInputError(f"cannot read {path}: {error.strerror or error}") from None


def rows_from_text(stream: Iterable[str], *, label: str, required: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of CSV text (a file opened with newline="", or lines) as dicts, after checking that ``required``
    columns exist; `label` names the file in messages."""
    reader = csv.DictReader(stream)
    header = reader.fieldnames or []
    missing = [column for column in required if column not in header]
    if missing:
        raise MetricsInputError(
            f"{label}: missing column(s) {', '.join(missing)}; the header is {','.join(header) or '(empty)'}"
        )
    rows = list(reader)
    if not rows:
        raise MetricsInputError(f"{label} has a header but no rows")
    return rows


def write_predictions(scores: dict[str, float], path: str | Path) -> None:
    """A prediction file: ``image,score`` per image, names guarded against spreadsheet formulas."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(PREDICTION_COLUMNS)
        writer.writerows((safe_cell(name), repr(float(score))) for name, score in scores.items())


def row_name(row: dict[str, str], name_column: str) -> str:
    """The image name of a row, with the apostrophe ``safe_cell`` adds before formula-like names removed."""
    name = (row.get(name_column) or "").strip()
    return name[1:] if name.startswith("'") and name[1:].startswith(FORMULA_PREFIXES) else name


def numbers_by_name(
    rows: list[dict[str, str]], *, name_column: str, value_column: str, file_label: str
) -> dict[str, float]:
    """``{name: value}``; raises listing every empty name, duplicate name and non-finite value."""
    values: dict[str, float] = {}
    first_line: dict[str, int] = {}
    problems = []
    for line, row in enumerate(rows, start=2):
        name = row_name(row, name_column)
        if not name:
            problems.append(f"line {line}: empty {name_column}")
            continue
        if name in first_line:
            problems.append(f"line {line}: {name!r} repeats line {first_line[name]} (one row per image)")
            continue
        first_line[name] = line
        text = (row.get(value_column) or "").strip()
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            problems.append(f"line {line}: {value_column} of {name!r} is {text!r}, not a finite number")
            continue
        values[name] = value
    if problems:
        raise MetricsInputError(f"{file_label}: {len(problems)} problem(s)", problems=problems)
    return values


def join_predictions(
    predictions: dict[str, float],
    table_rows: list[dict[str, str]],
    *,
    name_column: str = "image",
    mos_column: str = "mos",
    group_by: str | None = None,
    split_column: str | None = None,
    part: str | None = None,
) -> Joined:
    """Join on the image name. With ``split_column`` and ``part`` only that part of the table counts.

    Every table row that counts needs a prediction, and every prediction needs a row of the table
    (predictions for rows of other parts are left out): a missing image on either side is an error
    naming the images, so a metric never silently covers fewer items.
    """
    if (split_column is None) != (part is None):
        raise MetricsInputError("give both a split column and a part (--split-column split --part test), or neither")
    for column in (group_by, split_column):
        if column is not None and column not in table_rows[0]:
            raise MetricsInputError(f"the table has no column {column!r}; its columns: {', '.join(table_rows[0])}")
    all_names = {row_name(row, name_column) for row in table_rows}
    if split_column is not None:
        table_rows = [row for row in table_rows if (row.get(split_column) or "").strip() == part]
        if not table_rows:
            raise MetricsInputError(f"no table row has {split_column} = {part!r}")
    mos = numbers_by_name(table_rows, name_column=name_column, value_column=mos_column, file_label="MOS table")
    problems = []
    unpredicted = tuple(name for name in mos if name not in predictions)
    if unpredicted:
        problems.append(f"{len(unpredicted)} image(s) of the table have no prediction: {name_ids(unpredicted)}")
    unknown = tuple(name for name in predictions if name not in all_names)
    if unknown:
        problems.append(f"{len(unknown)} predicted image(s) are not in the table: {name_ids(unknown)}")
    if problems:
        raise MetricsInputError("predictions and table do not cover the same images", problems=problems)
    names = tuple(mos)
    groups = None
    if group_by is not None:
        by_name = {row_name(row, name_column): (row.get(group_by) or "").strip() for row in table_rows}
        groups = tuple(by_name[name] or "(empty)" for name in names)
    return Joined(
        names=names,
        predictions=np.array([predictions[name] for name in names]),
        mos=np.array([mos[name] for name in names]),
        groups=groups,
    )
