"""IQA-PyTorch (pyiqa) meta-info CSV with split columns.

Published shape (pyiqa ``BaseIQADataset``, read with ``pandas.read_csv``): the first column is
the image path relative to ``dataroot_target``, the second the MOS, then optional columns; every
column whose name contains ``split`` is a split, each row holding its phase (``train``, ``val``
or ``test``) or nothing. pyiqa picks one with ``split_index: <column name>``.

moslab writes ``img_name,mos,std,split_<name>...``; ``img_name`` is the item's bundle path
(``images/<name>``), so ``dataroot_target`` is the bundle's root. Text cells are guarded against
formula injection like every moslab CSV (``moslab_science.datasets.csv_cells``).
"""

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO

from moslab_science.datasets.csv_cells import escape, unescape
from moslab_science.datasets.csv_input import Problems, number
from moslab_science.datasets.records import DatasetError, DatasetItem
from moslab_science.datasets.text import text_of

PHASES = ("train", "val", "test")
SPLIT_PREFIX = "split_"


@dataclass(frozen=True)
class PyiqaMeta:
    """A pyiqa meta file: image paths, MOS and std in row order, and split column -> {image: phase}."""

    images: list[str]
    mos: list[float]
    std: list[float | None]
    splits: dict[str, dict[str, str]]


def write_pyiqa_meta(items: Sequence[DatasetItem], splits: Mapping[str, Mapping[str, str]], stream: IO[str]) -> None:
    """One row per item (sorted by name); one ``split_<name>`` column per split."""
    writer = csv.writer(stream)
    writer.writerow(["img_name", "mos", "std", *(SPLIT_PREFIX + name for name in splits)])
    for item in sorted(items, key=lambda item: item.name):
        parts = [parts.get(item.name, "") for parts in splits.values()]
        writer.writerow([escape(item.file), item.mos, "" if item.std is None else item.std, *parts])


def read_pyiqa_meta(stream: IO) -> PyiqaMeta:
    """Read a meta file as pyiqa does: path first, MOS second, phases in columns naming ``split``."""
    rows = list(csv.reader(io.StringIO(text_of(stream))))
    if not rows or len(rows[0]) < 2:
        raise DatasetError("a pyiqa meta file needs a header with at least an image column and a MOS column.")
    header = rows[0]
    split_columns = [i for i, name in enumerate(header) if "split" in name]
    std_column = header.index("std") if "std" in header else None
    problems = Problems()
    meta = PyiqaMeta([], [], [], {header[i]: {} for i in split_columns})
    for number_, row in enumerate(rows[1:], start=2):
        image, mos = unescape(row[0]), number(row[1])
        if mos is None:
            problems.add("MOS values (second column) that are not numbers", f"row {number_} ({row[1]!r})")
        meta.images.append(image)
        meta.mos.append(mos if mos is not None else float("nan"))
        meta.std.append(number(row[std_column]) if std_column is not None and row[std_column] else None)
        for i in split_columns:
            if row[i] and row[i] not in PHASES:
                problems.add(f"split cells that are not one of {', '.join(PHASES)}", f"row {number_} ({row[i]!r})")
            if row[i]:
                meta.splits[header[i]][image] = row[i]
    problems.raise_if_any()
    return meta
