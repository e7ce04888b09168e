"""``iqa baseline``: score a MOS table's images with BRISQUE, NIQE, PSNR or SSIM and write image,score."""

import argparse
import time
from pathlib import Path

from django.core.management.base import CommandError

from moslab_science.classical.batch import METHODS, TableSpec, run_baseline
from moslab_science.classical.images import BaselineInputError
from moslab_science.metrics import MetricsInputError
from moslab_science.metrics.tables import read_rows, write_predictions

NAME = "baseline"
HELP = "Score images with a classical baseline (brisque, niqe, psnr, ssim); writes image,score (higher = better)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--method", choices=METHODS, required=True)
    parser.add_argument("--table", type=Path, required=True, help="MOS table CSV with columns image,mos,...")
    parser.add_argument("--images", type=Path, required=True, help="Folder holding the table's images.")
    parser.add_argument("--out", type=Path, required=True, help="Prediction CSV to write (image,score).")
    parser.add_argument("--split-column", default=None, help="brisque: the column naming each row's part.")
    parser.add_argument("--train-part", default="train", help="brisque: the part its SVR is trained on.")
    parser.add_argument("--pristine", type=Path, default=None, help="niqe: folder of pristine images for its model.")
    parser.add_argument("--image-column", default="image")
    parser.add_argument("--mos-column", default="mos")
    parser.add_argument("--reference-column", default="reference", help="psnr/ssim: the reference's file name.")
    parser.add_argument("--content-column", default="source_content", help="brisque: CV folds keep contents apart.")
    parser.add_argument("--seed", type=int, default=0)


def run(options: dict, stdout) -> None:
    if not options["images"].is_dir():
        raise CommandError(f"--images {options['images']} is not a folder")
    if options["pristine"] is not None and not options["pristine"].is_dir():
        raise CommandError(f"--pristine {options['pristine']} is not a folder")
    spec = TableSpec(
        name_column=options["image_column"],
        mos_column=options["mos_column"],
        split_column=options["split_column"],
        train_part=options["train_part"],
        reference_column=options["reference_column"],
        content_column=options["content_column"],
    )
    started = time.perf_counter()
    try:
        rows = read_rows(options["table"], required=(spec.name_column,))
        result = run_baseline(
            options["method"], rows, options["images"], spec=spec, pristine=options["pristine"], seed=options["seed"]
        )
    except (MetricsInputError, BaselineInputError) as error:
        raise CommandError(str(error)) from None
    write_predictions(result.scores, options["out"])
    for note in result.notes:
        stdout.write(note)
    stdout.write(
        f"{options['method']}: {len(result.scores)} scores written to {options['out']} "
        f"in {time.perf_counter() - started:.1f} s"
    )
