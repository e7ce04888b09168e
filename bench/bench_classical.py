"""Classical baselines on BIQ2021 (../shared/data/biq2021-dev): BRISQUE against NIQE on the same test part.

The 3,000 photos are split 80/20 by moslab_science.datasets.make_splits (per image: each photo is its
own content in BIQ2021, so a per-image split is content-safe; stratified by source subset). BRISQUE
trains its SVR on the 80% and scores the 20%; NIQE (bundled pristine model) scores the same 20%.
Prints SRCC/PLCC with bootstrap CIs, the paired test BRISQUE vs NIQE, and the times.

    python bench/bench_classical.py [--limit 3000] [--seed 20261129] [--json RESULT.json]
"""

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from moslab_science.classical.batch import TableSpec, run_baseline  # noqa: E402
from moslab_science.classical.images import load_gray  # noqa: E402
from moslab_science.datasets.records import DatasetItem  # noqa: E402
from moslab_science.datasets.splits import SplitSpec, make_splits  # noqa: E402
from moslab_science.metrics import compare_models, evaluate_predictions  # noqa: E402

BIQ = REPO.parent / "shared" / "data" / "biq2021-dev"


def split_rows(limit: int, seed: int) -> list[dict[str, str]]:
    """The first ``limit`` photos of a seeded shuffle, each with its part of the 80/20 split.

    Completely flat photos (BIQ2021 has at least one all-white image) have no natural-scene
    statistics: they are left out, and named, before splitting.
    """
    with open(BIQ / "mos.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    order = np.random.default_rng(seed).permutation(len(rows))[:limit]
    rows = [rows[i] for i in sorted(order)]
    flat = [row["image"] for row in rows if np.ptp(load_gray(BIQ / "images" / row["image"])) == 0]
    if flat:
        print(f"left out, flat (one grey level, no statistics for BRISQUE or NIQE): {', '.join(flat)}")
        rows = [row for row in rows if row["image"] not in flat]
    items = [
        DatasetItem(
            row["image"],
            row["image"],
            "",
            float(row["mos"]),
            None,
            None,
            None,
            row["image"],
            {"source_subset": row["source_subset"]},
        )
        for row in rows
    ]
    spec = SplitSpec(
        kind="ratio", ratios=(("train", 8), ("test", 2)), seed=seed, group_by="", stratify_by="source_subset"
    )
    (assignment,) = make_splits(items, spec).values()
    return [{**row, "split": assignment[row["image"]]} for row in rows]


def run(limit: int, seed: int) -> dict[str, object]:
    rows = split_rows(limit, seed)
    test = [row for row in rows if row["split"] == "test"]
    mos = np.array([float(row["mos"]) for row in test])
    results: dict[str, object] = {"items": len(rows), "train": len(rows) - len(test), "test": len(test), "seed": seed}
    predictions = {}
    for method, method_rows in (("brisque", rows), ("niqe", test)):
        started = time.perf_counter()
        scores = run_baseline(method, method_rows, BIQ / "images", spec=TableSpec(split_column="split")).scores
        seconds = time.perf_counter() - started
        predictions[method] = np.array([scores[row["image"]] for row in test])
        evaluation = evaluate_predictions(predictions[method], mos, seed=seed)
        results[method] = {
            "seconds": round(seconds, 1),
            "srcc": evaluation.srcc,
            "plcc": evaluation.plcc,
            "plcc_logistic4": evaluation.mapped["logistic4"].plcc,
            "srcc_ci95": evaluation.intervals["srcc"].as_dict(),
            "plcc_ci95": evaluation.intervals["plcc"].as_dict(),
        }
    results["brisque_vs_niqe_srcc"] = compare_models(
        predictions["brisque"], predictions["niqe"], mos, seed=seed
    ).as_dict()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args()
    if not (BIQ / "mos.csv").exists():
        sys.exit(f"{BIQ} is absent: this benchmark needs the shared real data")
    results = run(options.limit, options.seed)
    for method in ("brisque", "niqe"):
        figures = results[method]
        low, high = figures["srcc_ci95"]["low"], figures["srcc_ci95"]["high"]
        print(
            f"{method}: SRCC {figures['srcc']:.3f} [{low:.3f}, {high:.3f}]  PLCC {figures['plcc']:.3f}"
            f"  PLCC after logistic4 {figures['plcc_logistic4']:.3f}  {figures['seconds']} s"
        )
    paired = results["brisque_vs_niqe_srcc"]
    low, high = paired["ci95"]["low"], paired["ci95"]["high"]
    print(
        f"BRISQUE - NIQE SRCC: {paired['difference']:+.3f} [{low:+.3f}, {high:+.3f}]"
        f"  p(bootstrap) {paired['p_bootstrap']:.4f}  p(Williams) {paired['p_williams']:.2g}"
    )
    print(f"items {results['items']} (train {results['train']}, test {results['test']}), seed {results['seed']}")
    if options.json:
        options.json.write_text(json.dumps(results, indent=2, allow_nan=False) + "\n")


if __name__ == "__main__":
    main()
