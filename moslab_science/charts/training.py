"""Training curves: loss and validation SRCC/PLCC per epoch, from the per-epoch metric dicts a run records."""

from collections.abc import Mapping, Sequence

from moslab_science.charts.chart import FONT, LEGEND_BELOW, PALETTE, Chart, axis, finite_or_none

LOSS_KEYS = (("train_loss", "training loss"), ("val_loss", "validation loss"))
CORRELATION_KEYS = (("val_srcc", "validation SRCC"), ("val_plcc", "validation PLCC"))


def training_curves(epochs: Sequence[Mapping[str, float]], *, slug: str = "training") -> Chart:
    """Loss (top) and validation correlations (bottom) against the epoch.

    Each dict holds ``epoch`` and any of ``train_loss``, ``val_loss``, ``val_srcc``, ``val_plcc``;
    a key missing from an epoch leaves a gap in its line.
    """
    if not epochs:
        raise ValueError("no epochs recorded yet: nothing to draw")
    missing = [index for index, record in enumerate(epochs) if "epoch" not in record]
    if missing:
        raise ValueError(f"epoch record(s) at position(s) {missing[:8]} have no 'epoch' key")
    x = [record["epoch"] for record in epochs]
    keys = [(key, label, "y") for key, label in LOSS_KEYS] + [(key, label, "y2") for key, label in CORRELATION_KEYS]
    traces = []
    for index, (key, label, yaxis) in enumerate(keys):
        if not any(key in record for record in epochs):
            continue
        traces.append({
            "type": "scatter", "mode": "lines+markers", "name": label, "x": x,
            "y": [finite_or_none(record.get(key)) for record in epochs], "yaxis": yaxis, "xaxis": "x",
            "line": {"color": PALETTE[index]},
        })
    figure = {
        "data": traces,
        "layout": {
            "title": {"text": "Training curves", "x": 0, "xanchor": "left"},
            "xaxis": axis("Epoch", anchor="y2", dtick=1 if len(x) <= 30 else None),
            "yaxis": axis("Loss", domain=[0.56, 1]),
            "yaxis2": axis("Validation correlation", domain=[0, 0.44]),
            "height": 580, "font": FONT, "margin": {"l": 70, "r": 30, "t": 60, "b": 100}, "legend": LEGEND_BELOW,
            "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff",
        },
    }
    columns = ("epoch", *(key for key, _, _ in keys))
    rows = tuple((record["epoch"], *(finite_or_none(record.get(key)) for key, _, _ in keys)) for record in epochs)
    return Chart(slug, "Training curves", figure, columns, rows)
