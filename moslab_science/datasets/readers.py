"""Imports of external datasets as plain records: MOS tables, vote histograms and long-form raw ratings.

Every reader checks the whole file and raises one :class:`DatasetError` listing every problem
(missing columns with the columns present, duplicate stimuli, bad or out-of-scale numbers with
their rows). ``file`` of each item is the name to look up in the image folder; ``sha256`` is
left empty for the importer to fill from the image bytes. See docs/datasets.md ("Imports").
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

import numpy as np

from moslab_science.csv_table import read_csv
from moslab_science.datasets.csv_input import Problems, check_scale, number, part_name, require_columns
from moslab_science.datasets.records import DatasetError, DatasetItem, RawVote
from moslab_science.datasets.votes import vote_statistics
from moslab_science.mos.errors import MosInputError
from moslab_science.mos.histograms import counts_from_fractions, histogram_mos
from moslab_science.mos.planning import ci_half_width

OFFICIAL = "official"


@dataclass(frozen=True)
class ColumnMapping:
    """Which columns of a MOS table hold what; None leaves that field empty."""

    name: str = "image"
    mos: str = "mos"
    std: str | None = None
    count: str | None = None
    source_content: str | None = None
    group_columns: tuple[str, ...] = ()
    split_column: str | None = None


@dataclass
class ImportedDataset:
    """What a reader found: items, raw votes (if the file has them), splits (``"official"``), scale, format."""

    items: list[DatasetItem]
    votes: list[RawVote]
    splits: dict[str, dict[str, str]]
    scale: tuple[float, float]
    source_format: str


def read_mos_table(stream: IO, mapping: ColumnMapping, *, scale: tuple[float, float]) -> ImportedDataset:
    """One row per stimulus with its MOS (the BIQ2021 form: ``image,mos,source_subset``)."""
    lo, hi = check_scale(scale)
    header, rows = read_csv(stream, error=DatasetError)
    require_columns(
        header,
        {
            "stimulus name": mapping.name,
            "MOS": mapping.mos,
            "standard deviation": mapping.std,
            "vote count": mapping.count,
            "source content": mapping.source_content,
            "official split": mapping.split_column,
            **{f"group {column}": column for column in mapping.group_columns},
        },
    )
    problems = Problems()
    names = _names(rows, mapping.name, problems)
    items = []
    for number_, (row, name) in enumerate(zip(rows, names, strict=True), start=2):
        mos = _mos(row[mapping.mos], number_, name, (lo, hi), problems)
        std = _optional_number(row, mapping.std, number_, "standard deviation", problems)
        count = _count(row, mapping.count, number_, problems)
        ci95 = float(ci_half_width(std, count)) if std is not None and count is not None and count > 1 else None
        items.append(
            DatasetItem(
                name=name,
                file=name,
                sha256="",
                mos=mos,
                std=std,
                ci95=ci95,
                count=count,
                source_content=row[mapping.source_content] if mapping.source_content else "",
                groups=_groups(row, mapping.group_columns),
            )
        )
    problems.raise_if_any()
    return ImportedDataset(items, [], _official(rows, names, mapping.split_column), (lo, hi), "mos_table")


def read_histograms(
    stream: IO,
    *,
    levels: Sequence[float] = (1, 2, 3, 4, 5),
    name_column: str = "image_name",
    fraction_columns: Sequence[str] = ("c1", "c2", "c3", "c4", "c5"),
    total_column: str = "c_total",
    split_column: str | None = "set",
) -> ImportedDataset:
    """Per-level vote fractions and a vote total per stimulus (the KonIQ-10k form).

    MOS and SD (ddof 1) come from the histogram (``moslab_science.mos.histograms``), on the scale of
    ``levels``. A published MOS on another scale (KonIQ's 1..100) is not read: see docs/mos.md.
    """
    if len(levels) != len(fraction_columns):
        raise DatasetError(f"{len(levels)} levels but {len(fraction_columns)} fraction columns; give one per level.")
    header, rows = read_csv(stream, error=DatasetError)
    require_columns(
        header,
        {"stimulus name": name_column, "vote total": total_column, "official split": split_column}
        | {f"fraction of level {level:g}": column for level, column in zip(levels, fraction_columns, strict=True)},
    )
    problems = Problems()
    names = _names(rows, name_column, problems)
    table = np.full((len(rows), len(levels) + 1), np.nan)
    for i, row in enumerate(rows):
        for j, column in enumerate((*fraction_columns, total_column)):
            value = number(row[column])
            if value is None or value < 0:
                problems.add("fractions and totals must be numbers >= 0", f"row {i + 2} {column}={row[column]!r}")
            else:
                table[i, j] = value
        if table[i, -1] == 0:
            problems.add("vote totals must be positive", f"row {i + 2} ({names[i]!r})")
    problems.raise_if_any()
    counts = _histogram_counts(table[:, :-1], table[:, -1], names)
    mos = histogram_mos(counts, levels=levels, stimulus_ids=names)
    ci95 = ci_half_width(mos.std, mos.n)
    items = [
        DatasetItem(
            name=name,
            file=name,
            sha256="",
            mos=float(mos.mos[i]),
            std=float(mos.std[i]) if mos.n[i] > 1 else None,
            ci95=float(ci95[i]) if mos.n[i] > 1 else None,
            count=int(mos.n[i]),
            source_content="",
        )
        for i, name in enumerate(names)
    ]
    scale = (float(min(levels)), float(max(levels)))
    return ImportedDataset(items, [], _official(rows, names, split_column), scale, "histograms")


def read_long_ratings(
    stream: IO,
    *,
    stimulus: str = "image",
    subject: str = "subject",
    score: str = "score",
    repetition: str | None = None,
    scale: tuple[float, float] | None = None,
    source_content: str | None = None,
    reference: str | None = None,
    group_columns: tuple[str, ...] = (),
    split_column: str | None = None,
) -> ImportedDataset:
    """One row per rating (the ISRGen-QA form: ``split,image,lr_ref,hr_ref,subject,score``).

    MOS, std, CI and count per stimulus come from its votes. Per-stimulus columns
    (``source_content``, ``reference``, group and split columns) must agree on every row of a
    stimulus. Without ``scale`` the scale is the lowest and highest score found.
    """
    header, rows = read_csv(stream, error=DatasetError)
    per_stimulus = {"source content": source_content, "reference": reference, "official split": split_column}
    require_columns(
        header,
        {"stimulus name": stimulus, "subject": subject, "score": score, "repetition": repetition}
        | per_stimulus
        | {f"group {column}": column for column in group_columns},
    )
    problems = Problems()
    bounds = check_scale(scale) if scale is not None else None
    votes = _votes(rows, stimulus, subject, score, repetition, bounds, problems)
    attributes = _stimulus_attributes(
        rows, stimulus, [c for c in (*per_stimulus.values(), *group_columns) if c], problems
    )
    if bounds is None and votes:
        low, high = min(v.score for v in votes), max(v.score for v in votes)
        if low == high:
            problems.add(f"every score is {low:g}, so the scale cannot be inferred; pass scale=(low, high)")
        bounds = (low, high)
    problems.raise_if_any()
    stats = vote_statistics(votes)
    items = [
        DatasetItem(
            name=name,
            file=name,
            sha256="",
            mos=stats[name].mos,
            std=stats[name].std,
            ci95=stats[name].ci95,
            count=stats[name].count,
            source_content=values.get(source_content or "", ""),
            groups={c: values[c] for c in group_columns if values.get(c)},
            reference=values.get(reference or "", ""),
        )
        for name, values in attributes.items()
    ]
    splits = {OFFICIAL: {n: part_name(v[split_column]) for n, v in attributes.items()}} if split_column else {}
    return ImportedDataset(items, votes, splits, bounds or (0.0, 1.0), "long_ratings")


def _names(rows: list[dict[str, str]], column: str, problems: Problems) -> list[str]:
    first_row: dict[str, int] = {}
    for number_, row in enumerate(rows, start=2):
        name = row[column]
        if not name:
            problems.add(f"rows without a stimulus name in {column!r}", f"row {number_}")
        elif name in first_row:
            problems.add(
                "duplicate stimulus names; each stimulus needs one row",
                f"{name!r} (rows {first_row[name]} and {number_})",
            )
        else:
            first_row[name] = number_
    return [row[column] for row in rows]


def _mos(text: str, number_: int, name: str, scale: tuple[float, float], problems: Problems) -> float:
    value = number(text)
    if value is None:
        problems.add("MOS values that are not finite numbers", f"row {number_} ({name!r}: {text!r})")
        return float("nan")
    if not scale[0] <= value <= scale[1]:
        problems.add(
            f"MOS outside the declared scale [{scale[0]:g}, {scale[1]:g}]; fix the MOS or declare the right scale",
            f"row {number_} ({name!r}: {value:g})",
        )
    return value


def _optional_number(
    row: dict[str, str], column: str | None, number_: int, what: str, problems: Problems
) -> float | None:
    if column is None or row[column] == "":
        return None
    value = number(row[column])
    if value is None or value < 0:
        problems.add(f"{what} values that are not numbers >= 0", f"row {number_} ({row[column]!r})")
    return value


def _count(row: dict[str, str], column: str | None, number_: int, problems: Problems) -> int | None:
    value = _optional_number(row, column, number_, "vote count", problems)
    if value is None:
        return None
    if value != int(value) or value < 1:
        problems.add("vote counts that are not whole numbers >= 1", f"row {number_} ({value:g})")
    return int(value)


def _groups(row: dict[str, str], columns: tuple[str, ...]) -> dict[str, str]:
    return {column: row[column] for column in columns if row[column]}


def _official(rows: list[dict[str, str]], names: list[str], column: str | None) -> dict[str, dict[str, str]]:
    if column is None:
        return {}
    return {OFFICIAL: {name: part_name(row[column]) for name, row in zip(names, rows, strict=True) if row[column]}}


def _histogram_counts(fractions: np.ndarray, totals: np.ndarray, names: list[str]) -> np.ndarray:
    try:
        return counts_from_fractions(fractions, totals, names)
    except MosInputError:
        problems = Problems()
        for i, name in enumerate(names):  # again row by row, to name every row at fault
            try:
                counts_from_fractions(fractions[i : i + 1], totals[i : i + 1], [name])
            except MosInputError as error:
                problems.add("histogram rows that are not whole vote counts", f"row {i + 2}: {error}")
        problems.raise_if_any()
        raise


def _votes(
    rows: list[dict[str, str]],
    stimulus: str,
    subject: str,
    score: str,
    repetition: str | None,
    scale: tuple[float, float] | None,
    problems: Problems,
) -> list[RawVote]:
    votes, first_row = [], {}
    for number_, row in enumerate(rows, start=2):
        name, who, value = row[stimulus], row[subject], number(row[score])
        if not name or not who:
            problems.add("ratings without a stimulus or a subject", f"row {number_}")
            continue
        if value is None:
            problems.add("scores that are not finite numbers", f"row {number_} ({row[score]!r})")
            continue
        if scale is not None and not scale[0] <= value <= scale[1]:
            problems.add(f"scores outside the scale [{scale[0]:g}, {scale[1]:g}]", f"row {number_} ({value:g})")
        label = _repetition(row, repetition, number_, problems)
        key = (name, who, label)
        if key in first_row:
            problems.add(
                "duplicate ratings (same stimulus, subject and repetition); remove them or add a repetition column",
                f"rows {first_row[key]} and {number_} ({name!r}, {who!r}, repetition {label})",
            )
        first_row.setdefault(key, number_)
        votes.append(RawVote(stimulus=name, subject=who, score=value, repetition=label))
    return votes


def _repetition(row: dict[str, str], column: str | None, number_: int, problems: Problems) -> int:
    if column is None:
        return 0
    try:
        return int(row[column])
    except ValueError:
        problems.add("repetitions that are not whole numbers", f"row {number_} ({row[column]!r})")
        return 0


def _stimulus_attributes(
    rows: list[dict[str, str]], stimulus: str, columns: list[str], problems: Problems
) -> dict[str, dict[str, str]]:
    """Per stimulus (first-appearance order), its value of each per-stimulus column; conflicts are problems."""
    attributes: dict[str, dict[str, str]] = {}
    for number_, row in enumerate(rows, start=2):
        if not row[stimulus]:
            continue
        values = {column: row[column] for column in columns}
        known = attributes.setdefault(row[stimulus], values)
        for column in columns:
            if known[column] != values[column]:
                problems.add(
                    "per-stimulus columns that change between a stimulus's rows",
                    f"row {number_} ({row[stimulus]!r}: {column} {values[column]!r}, before {known[column]!r})",
                )
    return attributes
