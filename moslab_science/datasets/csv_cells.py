"""Text cells of the CSV files moslab writes: guarded against formula injection, and read back exactly.

``moslab_science.csv_safe.safe_cell`` puts an apostrophe before text a spreadsheet would run as a formula.
Text that already starts with an apostrophe gets one more, so :func:`unescape` can strip exactly
one leading apostrophe from every text cell and return the original.
"""

from moslab_science.csv_safe import safe_cell


def escape(value: object) -> object:
    """The cell to write for ``value`` (numbers and None pass unchanged)."""
    if isinstance(value, str) and value.startswith("'"):
        return "'" + value
    return safe_cell(value)


def unescape(text: str) -> str:
    """The original text of a cell written by :func:`escape`."""
    return text[1:] if text.startswith("'") else text
