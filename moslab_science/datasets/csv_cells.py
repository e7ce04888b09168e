"""Text cells of the CSV files moslab writes: guarded against formula injection, and read back exactly.

An apostrophe goes before text a spreadsheet would run as a formula (the prefixes of ``moslab_science.csv_safe``).
Text that already starts with an apostrophe gets one more, so :func:`unescape` can strip exactly
one leading apostrophe from every text cell and return the original.
"""

from collections.abc import Iterable

from moslab_science.csv_safe import FORMULA_PREFIXES

#: Text starting with one of these gets a leading apostrophe: a formula's start, or an apostrophe itself.
GUARDED_PREFIXES = ("'", *FORMULA_PREFIXES)


def escape(value: object) -> object:
    """The cell to write for ``value`` (numbers and None pass unchanged); one test per cell, as exports write
    a cell of every column of every row."""
    if isinstance(value, str) and value.startswith(GUARDED_PREFIXES):
        return "'" + value
    return value


def escaped_row(values: Iterable[object]) -> list[object]:
    """`escape` of every cell of a row, None as an empty cell: one comprehension per row, no call per cell."""
    return ["" if value is None else "'" + value if isinstance(value, str) and value.startswith(GUARDED_PREFIXES)
            else value for value in values]


def unescape(text: str) -> str:
    """The original text of a cell written by :func:`escape`."""
    return text[1:] if text.startswith("'") else text
