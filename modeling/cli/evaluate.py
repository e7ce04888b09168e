"""``iqa evaluate``: every metric of a prediction file against a MOS table, overall and per group."""

import argparse
from pathlib import Path

from django.core.management.base import CommandError

from moslab_science.metrics import FITS, MAPPINGS, Evaluation, MetricsInputError, evaluate_table, format_rows
from moslab_science.metrics.evaluation import DEFAULT_RESAMPLES
from moslab_science.mos.cli import write_json

NAME = "evaluate"
HELP = "Evaluate predictions (image,score) against a MOS table (image,mos,...): SRCC, KRCC, PLCC, fits, CIs."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pred", type=Path, required=True, help="Prediction CSV with columns image,score.")
    parser.add_argument("--table", type=Path, required=True, help="MOS table CSV with columns image,mos,...")
    parser.add_argument("--group-by", default=None, help="A table column: metrics per value of it as well.")
    parser.add_argument("--split-column", default=None, help="A table column naming each row's part.")
    parser.add_argument("--part", default=None, help="Evaluate only the rows of this part (e.g. test).")
    parser.add_argument("--out", type=Path, default=None, help="Write every figure to this JSON file.")
    parser.add_argument("--image-column", default="image")
    parser.add_argument("--mos-column", default="mos")
    parser.add_argument("--score-column", default="score")
    parser.add_argument("--fits", nargs="+", choices=MAPPINGS, default=list(FITS), help="Mappings before PLCC/RMSE.")
    parser.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES, help="Bootstrap resamples (0: none).")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the bootstrap.")


def run(options: dict, stdout) -> None:
    try:
        report = evaluate_table(
            options["pred"],
            options["table"],
            name_column=options["image_column"],
            score_column=options["score_column"],
            mos_column=options["mos_column"],
            group_by=options["group_by"],
            split_column=options["split_column"],
            part=options["part"],
            fits=options["fits"],
            resamples=options["resamples"],
            seed=options["seed"],
        )
    except MetricsInputError as error:
        raise CommandError(str(error)) from None
    rows = [_row("(all)", report.overall)]
    if report.groups is not None:
        rows += [_row(value, evaluation) for value, evaluation in report.groups.evaluations.items()]
    stdout.write(format_rows(rows))
    for value, reason in report.groups.skipped.items() if report.groups else ():
        stdout.write(f"group {value!r} skipped: {reason}")
    for kind, metrics in report.overall.mapped.items():
        state = "converged" if metrics.fit.converged else metrics.fit.message
        stdout.write(f"fit {kind}: {state}")
    for warning in report.overall.warnings:
        stdout.write(f"warning ({warning.code}): {warning.message}")
    if options["out"] is not None:
        write_json(report.as_dict(), options["out"])
        stdout.write(f"every figure written to {options['out']}")


def _row(label: str, evaluation: Evaluation) -> dict[str, object]:
    """The printed figures; RMSE, KRCC's interval and the fit parameters are in the JSON."""
    row: dict[str, object] = {"group": label, "n": evaluation.n}
    row.update(srcc=evaluation.srcc, krcc=evaluation.krcc, plcc=evaluation.plcc)
    row.update({f"plcc_{kind}": metrics.plcc for kind, metrics in evaluation.mapped.items()})
    row.update(evaluation.scores)
    interval = evaluation.intervals.get("srcc")
    row["srcc_ci95"] = f"[{interval.low:.3f}, {interval.high:.3f}]" if interval else "-"
    return row
