"""The dataset table: one row per item, one column per split, written as CSV, JSON or Parquet.

Columns: :data:`TABLE_COLUMNS`, then ``group_<column>`` for every group column (sorted), then
``split_<name>`` for every split (in the order given). A missing group value or an item left out
of a split is an empty cell (CSV), ``null`` (JSON, Parquet). Floats are written with ``repr`` so
they read back bit for bit. CSV text cells that a spreadsheet would run as a formula (starting
with ``= + - @``, tab or CR) get a leading apostrophe, and :func:`read_table` gets the original
text back (see ``moslab_science.datasets.csv_cells``).
"""

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.parquet as pq

from moslab_science.datasets.csv_cells import escaped_row, unescape
from moslab_science.datasets.records import DatasetError, DatasetItem, name_examples
from moslab_science.datasets.text import text_of

TABLE_COLUMNS = ("stimulus", "file", "sha256", "mos", "std", "ci95", "count", "source_content", "reference", "prompt")
GROUP_PREFIX = "group_"
SPLIT_PREFIX = "split_"
FLOAT_COLUMNS = ("mos", "std", "ci95")
FORMATS = ("csv", "json", "parquet")


def table_rows(items: Sequence[DatasetItem], splits: Mapping[str, Mapping[str, str]]) -> list[dict]:
    """One dict per item (sorted by name), keys in column order."""
    group_columns = sorted({column for item in items for column in item.groups})
    rows = []
    for item in sorted(items, key=lambda item: item.name):
        row: dict = {
            "stimulus": item.name,
            "file": item.file,
            "sha256": item.sha256,
            "mos": item.mos,
            "std": item.std,
            "ci95": item.ci95,
            "count": item.count,
            "source_content": item.source_content,
            "reference": item.reference,
            "prompt": item.prompt,
        }
        row.update({GROUP_PREFIX + column: item.groups.get(column) or None for column in group_columns})
        row.update({SPLIT_PREFIX + name: parts.get(item.name) for name, parts in splits.items()})
        rows.append(row)
    return rows


def write_csv(rows: Iterable[Mapping], stream: IO[str]) -> None:
    """CSV with a header; text cells guarded against formula injection (see the module docstring)."""
    writer = csv.writer(stream)
    header: list[str] | None = None
    for row in rows:
        if header is None:
            header = list(row)
            writer.writerow(header)
        writer.writerow(escaped_row(map(row.__getitem__, header)))
    if header is None:
        writer.writerow(TABLE_COLUMNS)


def write_json(rows: Iterable[Mapping], stream: IO[str]) -> None:
    """A JSON array of row objects, one row per line."""
    stream.write("[")
    for index, row in enumerate(rows):
        stream.write(("," if index else "") + "\n" + json.dumps(row, ensure_ascii=False, allow_nan=False))
    stream.write("\n]\n")


def write_parquet(rows: Sequence[Mapping], path_or_stream: str | Path | IO[bytes]) -> None:
    """Parquet with typed columns: float64 MOS statistics, int64 count, text elsewhere."""
    columns = list(rows[0]) if rows else list(TABLE_COLUMNS)
    schema = pa.schema([(c, _arrow_type(c)) for c in columns])
    pq.write_table(pa.Table.from_pylist(list(rows), schema=schema), path_or_stream)


def read_table(
    source: str | Path | IO, *, format: str | None = None
) -> tuple[list[DatasetItem], dict[str, dict[str, str]]]:
    """Items and splits from a table written by this module.

    A path picks the format from its suffix; a stream is CSV unless ``format`` says otherwise
    (Parquet needs a path or a binary stream).
    """
    kind = format or (Path(source).suffix.lower().lstrip(".") if isinstance(source, str | Path) else "csv")
    if kind not in FORMATS:
        raise DatasetError(f"cannot read a {kind!r} table; use one of {', '.join(FORMATS)} (from the file suffix).")
    columns, rows = _raw_rows(source, kind)
    _check_columns(columns)
    return _records(columns, rows, from_csv=kind == "csv")


def _arrow_type(column: str) -> pa.DataType:
    if column in FLOAT_COLUMNS:
        return pa.float64()
    return pa.int64() if column == "count" else pa.string()


def _raw_rows(source: str | Path | IO, kind: str) -> tuple[list[str], list[Mapping]]:
    if kind == "parquet":
        table = pq.read_table(source)
        return table.column_names, table.to_pylist()
    if isinstance(source, str | Path):
        with open(source, encoding="utf-8-sig", newline="") as handle:
            return _raw_rows(io.StringIO(handle.read()), kind)
    text = text_of(source)
    if kind == "json":
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as error:
            raise DatasetError(f"the table is not valid JSON ({error}).") from None
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise DatasetError("a JSON table must be an array of row objects.")
        return (list(rows[0]) if rows else list(TABLE_COLUMNS)), rows
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def _check_columns(columns: list[str]) -> None:
    missing = [c for c in TABLE_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in TABLE_COLUMNS and not c.startswith((GROUP_PREFIX, SPLIT_PREFIX))]
    problems = []
    if missing:
        problems.append(f"the table lacks column(s) {', '.join(missing)}; it has {', '.join(columns) or '(none)'}.")
    if unknown:
        problems.append(
            f"unknown column(s) {', '.join(unknown)}: prefix group columns with {GROUP_PREFIX!r} "
            f"and split columns with {SPLIT_PREFIX!r}."
        )
    if problems:
        raise DatasetError(problems)


def _records(
    columns: list[str], rows: list[Mapping], *, from_csv: bool
) -> tuple[list[DatasetItem], dict[str, dict[str, str]]]:
    groups = [c for c in columns if c.startswith(GROUP_PREFIX)]
    splits: dict[str, dict[str, str]] = {c[len(SPLIT_PREFIX) :]: {} for c in columns if c.startswith(SPLIT_PREFIX)}
    items, problems = [], []
    for number, raw in enumerate(rows, start=2 if from_csv else 1):
        row = {c: _cell(raw.get(c), from_csv) for c in columns}
        where = f"row {number} ({row['stimulus']!r})"
        mos = _number(row["mos"], f"{where}: mos", problems, required=True)
        std = _number(row["std"], f"{where}: std", problems)
        ci95 = _number(row["ci95"], f"{where}: ci95", problems)
        count = _count(row["count"], where, problems)
        items.append(
            DatasetItem(
                name=row["stimulus"] or "",
                file=row["file"] or "",
                sha256=row["sha256"] or "",
                mos=mos if mos is not None else math.nan,
                std=std,
                ci95=ci95,
                count=count,
                source_content=row["source_content"] or "",
                groups={c[len(GROUP_PREFIX) :]: row[c] for c in groups if row[c]},
                reference=row["reference"] or "",
                prompt=row["prompt"] or "",
            )
        )
        for name, parts in splits.items():
            if row[SPLIT_PREFIX + name]:
                parts[row["stimulus"]] = row[SPLIT_PREFIX + name]
    empty = [str(number) for number, item in enumerate(items, start=2 if from_csv else 1) if not item.name]
    if empty:
        problems.append(f"{len(empty)} row(s) have no stimulus name: rows {name_examples(empty)}.")
    if problems:
        raise DatasetError(problems)
    return items, splits


def _cell(value: object, from_csv: bool) -> object:
    if from_csv and isinstance(value, str):
        if value == "":
            return None
        return unescape(value)
    return value


def _number(value: object, where: str, problems: list[str], *, required: bool = False) -> float | None:
    if value is None:
        if required:
            problems.append(f"{where} is empty; every item needs a number.")
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        problems.append(f"{where} {value!r} is not a number.")
        return None
    if not math.isfinite(number):
        problems.append(f"{where} is {value!r}; write a finite number (or leave it empty).")
    return number


def _count(value: object, where: str, problems: list[str]) -> int | None:
    if value is None:
        return None
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        problems.append(f"{where}: count {value!r} is not a whole number.")
        return None
