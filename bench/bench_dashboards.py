"""How long the prediction dashboard takes to build, against the metrics evaluation it rests on.

Reads BIQ2021's 3,000 dev images from ../shared/data (exits saying so when absent). The "model"
is a real, trivial no-reference predictor: each JPEG's size in bytes per pixel. Times, best of
``--repeats``: (a) ``evaluate_predictions`` alone (1,000 bootstrap resamples; the peer), and
(b) ``prediction_dashboard`` (that evaluation plus the scatter with three fitted curves, residuals,
metrics table and the per-source-subset table), and the JSON size of its figures. Prints the ratio b/a.

    python bench/bench_dashboards.py [--repeats 3]
"""

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from moslab_science.charts.pages import prediction_dashboard  # noqa: E402
from moslab_science.metrics.evaluation import evaluate_predictions  # noqa: E402

BIQ = REPO.parent / "shared" / "data" / "biq2021-dev"


def best_of(repeats: int, work) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
    if not (BIQ / "mos.csv").exists():
        sys.exit(f"BIQ2021 dev set not found at {BIQ.resolve()}: it lives outside the repository")
    with open(BIQ / "mos.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = [row["image"] for row in rows]
    mos = np.array([float(row["mos"]) for row in rows])
    groups = [{"source_subset": row["source_subset"]} for row in rows]
    predictions = []
    for name in names:
        path = BIQ / "images" / name
        with Image.open(path) as image:
            predictions.append(path.stat().st_size / (image.width * image.height))
    predictions = np.array(predictions)
    peer, evaluation = best_of(repeats, lambda: evaluate_predictions(predictions, mos))
    ours, dashboard = best_of(repeats, lambda: prediction_dashboard("bytes-per-pixel", names, predictions, mos, groups))
    size = sum(len(json.dumps(chart.figure)) for chart in dashboard.charts)
    print(f"BIQ2021 dev, {len(names)} images; predictor: JPEG bytes per pixel; SRCC {evaluation.srcc:.3f}, "
          f"PLCC {evaluation.plcc:.3f}")
    print(f"evaluate_predictions (1,000 resamples):  {peer:.2f} s")
    print(f"prediction_dashboard (5 charts):         {ours:.2f} s   ratio {ours / peer:.2f}")
    print(f"figure JSON sent to the page:            {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
