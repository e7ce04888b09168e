"""Text cells of the CSV files moslab writes: guarded against formula injection, and read back exactly.

An apostrophe goes before text a spreadsheet would run as a formula (the prefixes of ``moslab_science.csv_safe``).
Text that already starts with an apostrophe gets one more, so :func:`unescape` can strip exactly
one leading apostrophe from every text cell and return the original.
"""

from collections.abc import Iterable

from moslab_science.csv_safe import FORMULA_PREFIXES

#: Text starting with one of these gets a leading apostrophe: a formula's start, or an apostrophe itself.
GUARDED_PREFIXES = ("'", *FORMULA_PREFIXES)


def escaped_row(values: Iterable[object]) -> list[object]:
    """The cells to write for a row of values: text a spreadsheet would run gets its apostrophe, None is an
    empty cell, numbers pass unchanged. One comprehension per row (exports write every cell of every row)."""
    return ["" if value is None else "'" + value if isinstance(value, str) and value.startswith(GUARDED_PREFIXES)
            else value for value in values]


def escape(value: object) -> object:
    """The cell to write for one ``value`` (None passes unchanged)."""
    return value if value is None else escaped_row((value,))[0]


def unescape(text: str) -> str:
    """The original text of a cell written by :func:`escape`."""
    return text[1:] if text.startswith("'") else text
