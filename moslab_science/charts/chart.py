"""A chart: a plotly figure (JSON-able ``{"data": [...], "layout": {...}}``) plus the table of its data.

Every dashboard figure is built by a plain function returning a :class:`Chart`; the page draws
``figure`` with plotly.js and the CSV download writes ``columns`` and ``rows``.
"""

import math
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

# Colours read apart by people with the common colour-vision deficiencies (Okabe and Ito).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13}
# The legend sits on the bottom edge of the figure, under the x-axis title, never over the data or a label.
LEGEND_BELOW = {"orientation": "h", "yref": "container", "y": 0.01, "yanchor": "bottom", "x": 0, "xanchor": "left"}
TABLE_CELL_HEIGHT = 26
TABLE_LINE_HEIGHT = 18  # one line of a cell's text; a cell with <br> line breaks grows by this per line


@dataclass(frozen=True)
class Chart:
    """One figure of a dashboard; ``slug`` names it in URLs and downloaded files, ``note`` is shown beside it."""

    slug: str
    title: str
    figure: dict
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    note: str = ""


def slug_part(text: str) -> str:
    """A lowercase URL- and file-safe form of ``text`` (letters, digits and dashes)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def axis(title: str, **extra) -> dict:
    return {"title": {"text": title}, "automargin": True, "zeroline": False, **extra}


def layout(*, title: str, x_title: str, y_title: str, height: int = 460, **extra) -> dict:
    """A layout with the chart's title and both axes labelled."""
    return {
        "title": {"text": title, "x": 0, "xanchor": "left"},
        "xaxis": axis(x_title),
        "yaxis": axis(y_title),
        "height": height,
        "margin": {"l": 70, "r": 30, "t": 60, "b": 100},
        "font": FONT,
        "legend": LEGEND_BELOW,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        **extra,
    }


def table_figure(
    *, title: str, header: Sequence[str], columns: Sequence[Sequence[str]], fills=None,
    cell_height: int = TABLE_CELL_HEIGHT, widths: Sequence[float] | None = None,
) -> dict:
    """A plotly table trace: ``columns`` are the cell texts column by column, ``fills`` their colours.

    The figure is tall enough for every row, lines broken with <br> included: plotly clips a table to its
    height instead of growing it (and never wraps a cell's text by itself: see `wrapped`).
    """
    rows = len(columns[0]) if columns else 0
    header_height = 46 if any("<br>" in text for text in header) else 30
    cells = {"values": [list(column) for column in columns], "align": "left", "height": cell_height, "font": FONT}
    if fills is not None:
        cells["fill"] = {"color": [list(column) for column in fills]}
    trace = {
        "type": "table",
        "header": {"values": [f"<b>{text}</b>" for text in header], "align": "left", "height": header_height,
                   "fill": {"color": "#e6e9ee"}, "font": FONT},
        "cells": cells,
    }
    if widths is not None:
        trace["columnwidth"] = list(widths)
    heights = [max(cell_height, TABLE_LINE_HEIGHT * max(str(column[row]).count("<br>") + 1 for column in columns) + 8)
               for row in range(rows)]
    return {
        "data": [trace],
        "layout": {
            "title": {"text": title, "x": 0, "xanchor": "left"},
            "height": 60 + header_height + sum(height + 2 for height in heights) + 30,
            "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
            "font": FONT,
        },
    }


def wrapped(text: str, width: int = 40) -> str:
    """``text`` broken into lines of at most ``width`` characters at spaces, joined by <br> for a plotly table."""
    return "<br>".join(textwrap.wrap(text, width)) if text else text


def number(value: float | None, digits: int = 3) -> str:
    """``value`` rounded for display; an em dash when there is none."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}f}"


def finite_or_none(value) -> float | None:
    """A float for JSON and CSV, or None where the value is missing or not finite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
