"""``manage.py iqa train``: train an IQA architecture on an exported table and an image folder (no database)."""
import json
from pathlib import Path

from django.core.management import CommandError

from common.errors import DomainError
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
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its last epoch")


def run(options: dict, stdout) -> None:
    iqa = iqa_package()
    try:
        overrides = iqa.read_config_file(options["config"]) if options["config"] else {}
        config = iqa.resolve_config(options["arch"], overrides)
        summary = iqa.train_run(config=config, table=options["table"], images=options["images"], out=options["out"],
                                device=options["device"], resume=options["resume"], log=stdout.write)
    except DomainError as error:
        raise CommandError(str(error)) from None
    test = summary.get("test")
    shown = {key: test[key] for key in ("n", "srcc", "plcc", "krcc")} if isinstance(test, dict) else test
    stdout.write(f"best validation epoch: {json.dumps(summary['best'])}")
    stdout.write(f"test part (scored once): {json.dumps(shown)}")
    stdout.write(f"run directory: {options['out']}")
