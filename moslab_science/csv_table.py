"""The one CSV reader: the files people bring (dataset tables, ratings, MOS tables, predictions) read the same way.

Text is UTF-8 (with or without a byte-order mark) or UTF-16 with its mark; header names and cells are
stripped, blank lines skipped, and a row shorter than the header gets "" for its missing cells. An empty
file, a header without rows and missing required columns are refused with a message saying what to fix,
raised as the caller's error type (DatasetError, MetricsInputError, ...). See ``csv_safe`` for writing.
"""
import csv
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, NamedTuple

from moslab_science.errors import DomainError, excerpt

BOM = "\ufeff"

ErrorType = Callable[[str], Exception]


class Rows(Sequence[dict[str, str]]):
    """The data rows, each read as a dict of column -> cell, but kept as tuples of interned cells: a table of a
    million votes (stimulus, subject, score) holds each repeated name once and no dict per row, about a fifth of
    the memory of a list of dicts."""

    def __init__(self, header: list[str], cells: list[tuple[str, ...]]):
        self.header, self._cells = header, cells

    def __len__(self) -> int:
        return len(self._cells)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [dict(zip(self.header, row, strict=True)) for row in self._cells[index]]
        return dict(zip(self.header, self._cells[index], strict=True))

    def __iter__(self) -> Iterator[dict[str, str]]:
        header = self.header
        return (dict(zip(header, row, strict=True)) for row in self._cells)

    def __eq__(self, other) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None


class CsvTable(NamedTuple):
    header: list[str]
    rows: Rows


def decode_text(data: bytes | str, *, label: str = "the file", error: ErrorType = DomainError) -> str:
    """Bytes as text (UTF-16 when they start with its mark, else UTF-8), without a leading byte-order mark."""
    if isinstance(data, bytes):
        encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
        try:
            data = data.decode(encoding)
        except UnicodeDecodeError as problem:
            kind = "UTF-16" if encoding == "utf-16" else "UTF-8"
            raise error(f"{label} is not a CSV text file: not {kind} text (bad byte at position {problem.start}); "
                        "save it as a UTF-8 CSV.") from None
    return data[1:] if data.startswith(BOM) else data


LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` with their endings, as a file opened with newline="" gives them, without a copy of the
    whole text (io.StringIO would hold four bytes per character)."""
    return (match.group() for match in LINE.finditer(text))


def read_csv(source: str | Path | IO, *, required: Sequence[str] = (), label: str = "",
             error: ErrorType = DomainError) -> CsvTable:
    """The header and rows of a CSV file (a path) or stream (text or bytes), checked for ``required`` columns."""
    if isinstance(source, str | Path):
        label = label or Path(source).name
        try:
            data = Path(source).read_bytes()
        except OSError as problem:
            raise error(f"cannot read {source}: {problem.strerror or problem}") from None
    else:
        label, data = label or "the file", source.read()
    text = decode_text(data, label=label, error=error)
    if not text.strip():
        raise error(f"{label} is empty: it needs a header row, then one row per stimulus, rating or image.")
    if text.lstrip().startswith(("[", "{")):
        raise error(f"{label} is JSON, not a CSV table: import Q-Align files with the format qalign, DeQA-Score "
                    "files with deqa and suJSON files with sujson.")
    del data  # the text alone is kept while the rows are read
    lines = csv.reader(_lines(text))
    try:
        header = [name.strip() for name in next(lines)]
        width = len(header)
        rows = Rows(header, [tuple(sys.intern(cell.strip()) for cell in (cells + [""] * width)[:width])
                             for cells in lines if any(cell.strip() for cell in cells)])
    except csv.Error as problem:  # e.g. a cell over the csv module's field size limit
        raise error(f"{label} cannot be read as a CSV table (line {lines.line_num}: {excerpt(problem)}).") from None
    shown = excerpt(",".join(header)) or "(empty)"
    missing = [column for column in required if column not in header]
    if missing:
        raise error(f"{label}: missing column(s) {excerpt(', '.join(missing))}; the header is {shown}")
    if not rows:
        raise error(f"{label} has a header ({shown}) but no data rows.")
    return CsvTable(header, rows)
