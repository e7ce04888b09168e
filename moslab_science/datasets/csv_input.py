"""Checking the CSV files people bring (read by ``moslab_science.csv_table``): columns by name, every problem
collected, then raised together."""

import difflib
import math
from collections.abc import Mapping

from moslab_science.datasets.records import DatasetError, name_examples
from moslab_science.errors import excerpt

#: Official split values as datasets spell them -> moslab part names.
PART_ALIASES = {"training": "train", "validation": "val", "valid": "val", "testing": "test"}


class Problems:
    """Problems found so far, grouped by kind; :meth:`raise_if_any` raises them all in one DatasetError."""

    def __init__(self) -> None:
        self._found: dict[str, list[str]] = {}

    def add(self, kind: str, example: str = "") -> None:
        self._found.setdefault(kind, []).append(example)

    def raise_if_any(self) -> None:
        if self._found:
            raise DatasetError(
                [
                    f"{kind} ({len(examples)}): {name_examples(examples)}." if any(examples) else kind
                    for kind, examples in self._found.items()
                ]
            )


#: How many of a file's columns a message lists.
COLUMNS_NAMED = 12


def require_columns(header: list[str], wanted: Mapping[str, str | None]) -> None:
    """Refuse, naming each missing column, its role, the columns present and a close match if any.

    A first row that names none of the wanted columns and holds numbers or file names is data, not a header:
    that is said in words instead.
    """
    wanted_names = [column for column in wanted.values() if column is not None]
    if wanted_names and not set(wanted_names) & set(header) and _looks_like_data(header):
        raise DatasetError(
            f"the first row ({excerpt(','.join(header))}) looks like data, not a header: add a header row naming "
            f"the columns ({', '.join(wanted_names)}) or set the column mapping to the file's own names."
        )
    shown = ", ".join(excerpt(name, 40) for name in header[:COLUMNS_NAMED])
    if len(header) > COLUMNS_NAMED:
        shown += f" and {len(header) - COLUMNS_NAMED} more"
    problems = []
    for role, column in wanted.items():
        if column is not None and column not in header:
            close = difflib.get_close_matches(column.lower(), [h.lower() for h in header], n=1, cutoff=0.6)
            hint = f"; did you mean {header[[h.lower() for h in header].index(close[0])]!r}?" if close else ""
            problems.append(
                f"column {excerpt(column, 40)!r} ({role}) is missing; the file has columns {shown}{hint} "
                "Set the column mapping to the file's names."
            )
    if problems:
        raise DatasetError(problems)


def _looks_like_data(header: list[str]) -> bool:
    """A header row holds names; a row with a number or a file name (``x.jpg``) in it is data."""
    return any(number(cell) is not None or "." in cell.strip(".") for cell in header if cell)


def number(text: str) -> float | None:
    """A finite float, or None when the text is not one."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def part_name(value: str) -> str:
    """An official split value as a moslab part name (training -> train, validation -> val, ...)."""
    return PART_ALIASES.get(value.lower(), value)


def check_scale(scale: tuple[float, float]) -> tuple[float, float]:
    lo, hi = (float(scale[0]), float(scale[1]))
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise DatasetError(f"the scale must be two finite numbers (low, high) with low < high; got {scale!r}.")
    return lo, hi
