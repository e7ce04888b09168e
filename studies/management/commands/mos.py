"""``manage.py mos compute INPUT.csv --method M [--mode default|sureal] [--dimension D] --scale LO HI --out R.json``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from moslab_science.mos.cli import compute, write_json
from moslab_science.mos.engine import METHODS
from moslab_science.mos.errors import MosInputError
from moslab_science.mos.modes import MODES
from moslab_science.mos.normalization import RESCALES


class Command(BaseCommand):
    help = "Compute MOS from a ratings CSV (stimulus,subject,score[,repetition]) without the database."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        run = actions.add_parser("compute", help="Run one MOS method and write its JSON result.")
        run.add_argument("input", type=Path,
                         help="CSV with columns stimulus,subject,score[,repetition][,dimension].")
        run.add_argument("--method", required=True, choices=METHODS)
        run.add_argument(
            "--mode",
            default="default",
            choices=MODES,
            help="default (documented in docs/mos.md) or sureal (reproduces sureal 0.9.0).",
        )
        run.add_argument("--scale", nargs=2, type=float, required=True, metavar=("LO", "HI"))
        run.add_argument(
            "--zscore-rescale",
            choices=RESCALES,
            default=None,
            help="zscore only: none (z units), three_sigma or minmax onto the scale.",
        )
        run.add_argument(
            "--dimension",
            default=None,
            help="The rating dimension to compute (e.g. technical): keeps the rows whose dimension column holds it. "
            "Needed when that column names several dimensions.",
        )
        run.add_argument("--out", type=Path, required=True, help="Where to write the JSON result.")

    def handle(
        self,
        *args,
        input: Path,
        method: str,
        mode: str,
        scale: list[float],
        zscore_rescale: str | None,
        out: Path,
        dimension: str | None = None,
        **options,
    ):
        if zscore_rescale is not None and method != "zscore":
            raise CommandError("--zscore-rescale applies to --method zscore only.")
        try:
            result = compute(input, method, mode, scale[0], scale[1], zscore_rescale=zscore_rescale,
                             dimension=dimension)
        except MosInputError as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"cannot read {input}: {error.strerror or error}") from None
        write_json(result, out)
        warnings = result["warnings"]
        of = f" of dimension {dimension}" if dimension else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{method} ({mode}){of} on {len(result['stimuli'])} stimuli, {len(result['subjects'])} subjects "
                f"written to {out}" + (f"; {len(warnings)} warning(s) recorded" if warnings else "")
            )
        )
