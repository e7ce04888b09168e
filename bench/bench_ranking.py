"""What rank groups cost on the demo's leaderboard, against the per-run evaluations the page already makes.

A demo-sized benchmark: 3 models x 3 repeated splits, each testing 74 images (the demo's 7:1:2 split of
370), predictions = MOS + noise of three sizes. CPU time (process time), best of ``--repeats``, of
(a) the peer: ``evaluate_predictions`` of every run (1,000 bootstrap resamples each, what the leaderboard
shows), and (b) ``rank_models`` over the same runs (2,000 joint resamples), on SRCC and on the NTIRE 2024
score (a cubic fit per resample). Prints each figure and the ratio b/a.

    python bench/bench_ranking.py [--repeats 3]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from moslab_science.metrics.evaluation import evaluate_predictions  # noqa: E402
from moslab_science.metrics.ranking import ScoredPart, rank_models  # noqa: E402

MODELS = {"effnet-lite": 0.3, "brisque": 0.8, "niqe": 0.9}
REPEATS, TESTED = 3, 74


def parts() -> list[ScoredPart]:
    rng = np.random.default_rng(0)
    found = []
    for _ in range(REPEATS):
        mos = rng.uniform(1, 5, TESTED)
        found.append(ScoredPart({model: mos + rng.normal(0, noise, TESTED) for model, noise in MODELS.items()}, mos))
    return found


def best_cpu(work, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
    scored = parts()
    peer = best_cpu(lambda: [evaluate_predictions(part.predictions[model], part.mos, seed=index)
                             for index, part in enumerate(scored) for model in MODELS], repeats)
    print(f"peer: evaluate_predictions of {len(MODELS) * REPEATS} runs: {peer:.2f} s CPU")
    for metric in ("srcc", "ntire2024"):
        cost = best_cpu(lambda metric=metric: rank_models(scored, metric=metric), repeats)
        print(f"rank_models on {metric}: {cost:.2f} s CPU, {cost / peer:.2f} x the peer")


if __name__ == "__main__":
    main()
