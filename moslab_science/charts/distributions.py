"""MOS distributions per group value (AU-IQA's Figure 4): violins and overlaid histograms on the study's scale."""

import math
from collections.abc import Sequence

import numpy as np

from moslab_science.charts.chart import PALETTE, Chart, layout, slug_part

HISTOGRAM_BINS = 20


def _members(names: Sequence[str], mos, labels: Sequence[str]) -> dict[str, tuple[list[str], list[float]]]:
    if not (len(names) == len(labels) == len(mos)):
        raise ValueError(f"one name, MOS and group value per item; got {len(names)}, {len(mos)}, {len(labels)}")
    members: dict[str, tuple[list[str], list[float]]] = {}
    for name, value, label in sorted(zip(names, mos, labels, strict=True), key=lambda item: item[2]):
        members.setdefault(label, ([], []))[0].append(name)
        members[label][1].append(float(value))
    return members


def _rows(members) -> tuple[tuple, ...]:
    return tuple((label, name, value) for label, (names, values) in members.items()
                 for name, value in zip(names, values, strict=True))


def mos_violins(names: Sequence[str], mos, labels: Sequence[str], *, column: str, scale: tuple[float, float]) -> Chart:
    """One violin (with its box and every image as a point) per value of the group column."""
    members = _members(names, mos, labels)
    traces = [
        {"type": "violin", "name": f"{label} (n={len(values)})", "x0": label, "y": values, "text": group_names,
         "box": {"visible": True}, "meanline": {"visible": True}, "points": "all", "spanmode": "hard",
         "pointpos": 0, "jitter": 0.4, "marker": {"size": 5}, "line": {"color": PALETTE[i % len(PALETTE)]},
         "hovertemplate": "%{text}<br>MOS %{y:.3f}<extra></extra>"}
        for i, (label, (group_names, values)) in enumerate(members.items())
    ]
    figure = {"data": traces, "layout": layout(
        title=f"MOS per {column}", x_title=column, y_title="MOS", showlegend=False,
        yaxis={"title": {"text": "MOS"}, "range": _padded(scale), "automargin": True},
    )}
    return Chart(f"mos-violin-{slug_part(column)}", f"MOS per {column} (violins)", figure,
                 (column, "image", "mos"), _rows(members))


def mos_histograms(
    names: Sequence[str], mos, labels: Sequence[str], *, column: str, scale: tuple[float, float],
    title: str | None = None,
) -> Chart:
    """Histograms of MOS side by side, one per value of the group column, on bins spanning the scale."""
    members = _members(names, mos, labels)
    low, high = scale
    size = (high - low) / HISTOGRAM_BINS
    traces = [
        {"type": "histogram", "name": f"{label} (n={len(values)})", "x": values, "opacity": 0.9,
         "xbins": {"start": low, "end": high + size / 2, "size": size},
         "marker": {"color": PALETTE[i % len(PALETTE)]}}
        for i, (label, (_, values)) in enumerate(members.items())
    ]
    figure = {"data": traces, "layout": layout(
        title=title or f"MOS histogram per {column}", x_title="MOS", y_title="Images", barmode="group",
        xaxis={"title": {"text": "MOS"}, "range": _padded(scale), "automargin": True},
        yaxis={"title": {"text": "Images"}, "automargin": True, "dtick": _count_step(members, low, size)},
    )}
    return Chart(f"mos-histogram-{slug_part(column)}", f"MOS per {column} (histograms)", figure,
                 (column, "image", "mos"), _rows(members))


def _count_step(members, low: float, size: float) -> int:
    """A whole-number tick step for image counts, about six ticks up to the tallest bin."""
    edges = low + size * np.arange(HISTOGRAM_BINS + 1)
    tallest = max(int(np.histogram(values, bins=edges)[0].max()) for _, values in members.values())
    return max(1, math.ceil(tallest / 6))


def _padded(scale: tuple[float, float]) -> list[float]:
    low, high = scale
    pad = (high - low) * 0.03
    return [low - pad, high + pad]
