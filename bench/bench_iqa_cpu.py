"""EfficientNet-Lite IQA baseline trained on CPU on ../shared/data/biq2021-dev, next to BIQ2021's published results.

The split is per image (70/10/20 train/val/test, seeded): BIQ2021 has no source-content ids and every photo
is its own content, so a per-image split is content-safe. The checkpoint is chosen on val; test is scored once.
Prints the test SRCC/PLCC, the training time and the load average, and the published figures it is compared
with (theirs are on the official test split, ours on a 20% part of a 3,000-image sample of the training split).

    MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296 \\
    python bench/bench_iqa_cpu.py [--epochs 2] [--threads 1] [--out /tmp/bench-iqa-run] [--config FILE]
"""
import argparse
import csv
import os
import shutil
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from moslab_science.datasets.records import DatasetItem  # noqa: E402
from moslab_science.datasets.splits import SplitSpec, make_splits  # noqa: E402
from moslab_science.iqa import resolve_config, train_run  # noqa: E402
from moslab_science.iqa.config import read_config_file  # noqa: E402

BIQ = REPO.parent / "shared" / "data" / "biq2021-dev"
PUBLISHED_SRCC = {"BRISQUE": 0.604, "ResNet-50 (fine-tuned)": 0.647, "DeepEns": 0.792}
SPLIT = SplitSpec(kind="ratio", ratios=(("train", 7), ("val", 1), ("test", 2)), seed=20261129, group_by="")


def write_table(path: Path) -> None:
    with (BIQ / "mos.csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    items = [DatasetItem(name=row["image"], file=row["image"], sha256="", mos=float(row["mos"]), std=None,
                         ci95=None, count=None, source_content=row["image"]) for row in rows]
    (assignment,) = make_splits(items, SPLIT).values()
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["image", "mos", "split", "source_subset"])
        writer.writerows([row["image"], row["mos"], assignment[row["image"]], row["source_subset"]] for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-iqa-run"))
    parser.add_argument("--config", type=Path)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (1 is faster on a shared CPU)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if not (BIQ / "mos.csv").exists():
        sys.exit(f"skipped: shared real data is absent ({BIQ} not found)")
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    table = args.out / "table.csv"
    write_table(table)
    overrides = read_config_file(args.config) if args.config else {}
    train = {"epochs": args.epochs, **overrides.get("train", {})}
    config = resolve_config("effnet-lite", {**overrides, "train": train})
    started = time.monotonic()
    summary = train_run(config=config, table=table, images=BIQ / "images", out=args.out / "run")
    elapsed = time.monotonic() - started
    test = summary["test"]
    print(f"EfficientNet-Lite ({config['model']['variant']}, {config['input']['train_crop']}-px crops, "
          f"{config['model']['frozen_blocks']} frozen blocks) on biq2021-dev, CPU, {summary['epochs']} epochs")
    print(f"  parts: {summary['counts']}, best epoch on val: {summary['best']['epoch']}")
    print(f"  test SRCC {test['srcc']:.3f} (95% CI {test['ci95']['srcc']}), PLCC {test['plcc']:.3f}")
    print(f"  wall time {elapsed / 60:.1f} min (training epochs {summary['train_seconds'] / 60:.1f} min), "
          f"load average at the end {os.getloadavg()}")
    for name, value in PUBLISHED_SRCC.items():
        print(f"  published {name} SRCC {value:.3f} (official test split): ours / theirs = {test['srcc'] / value:.2f}")


if __name__ == "__main__":
    main()
