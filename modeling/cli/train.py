"""``manage.py iqa train``: train an IQA architecture on an exported table and an image folder (no database)."""
import json
from pathlib import Path

from django.core.management import CommandError

from common.errors import DomainError
from modeling.cli.console import add_console_arguments, exit_status, open_console
from modeling.cli.torch_guard import iqa_package

NAME = "train"
HELP = "Train an IQA model (moslab_science.iqa) on a MOS table and an image folder; writes a run directory."


def add_arguments(parser) -> None:
    parser.add_argument("--arch", required=True, help="architecture name, e.g. effnet-lite or hyperiqa")
    parser.add_argument("--table", required=True, type=Path, help="CSV with image, mos and split columns")
    parser.add_argument("--images", required=True, type=Path, help="folder holding the table's images")
    parser.add_argument("--out", required=True, type=Path, help="run directory to create (or resume)")
    parser.add_argument("--config", type=Path, help="JSON or TOML overriding the architecture's defaults")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last checkpoint (a step or an epoch); the "
                             "configuration must be the same, except a larger train.epochs")
    parser.add_argument("--restart", action="store_true", help="start the run in --out over (its files are removed)")
    parser.add_argument("--time-limit", metavar="DURATION",
                        help="stop cleanly within this time (5400, 90m, 1.5h): last.pt keeps the step for --resume "
                             "and the best model so far scores the test part")
    add_console_arguments(parser)


def run(options: dict, stdout) -> None:
    iqa = iqa_package()
    try:
        console = open_console(iqa, options, stdout)
        time_limit = iqa.parse_duration(options["time_limit"]) if options["time_limit"] else None
        overrides = iqa.read_config_file(options["config"]) if options["config"] else {}
        config = iqa.resolve_config(options["arch"], overrides)
        summary = iqa.train_run(config=config, table=options["table"], images=options["images"], out=options["out"],
                                device=options["device"], resume=options["resume"], restart=options["restart"],
                                time_limit=time_limit, log=console.log,
                                hooks=iqa.TrainingHooks(on_progress=console.progress))
    except DomainError as error:
        raise CommandError(str(error)) from None
    except iqa.TrainingStopped as stop:
        raise CommandError(f"{stop}; run the same command with --resume to continue",
                           returncode=exit_status(stop.reason)) from None
    test = summary.get("test")
    shown = {key: test[key] for key in ("n", "srcc", "plcc", "krcc")} if isinstance(test, dict) else test
    stdout.write(f"best validation epoch: {json.dumps(summary['best'])}")
    stdout.write(f"test part (scored once): {json.dumps(shown)}")
    if "stopped" in summary:
        stdout.write(f"stopped early ({summary['stopped']}): run the same command with --resume to continue it "
                     "(a larger train.epochs and a new --time-limit are accepted)")
    stdout.write(f"run directory: {options['out']}")
