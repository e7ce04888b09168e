"""``manage.py vqa train``: train a video architecture on a table and a folder of clips (no database)."""
import importlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType

from django.core.management import CommandError

from common.errors import DomainError

NAME = "train"
HELP = "Train a video quality model (aigc-vqa, clip-video) on a MOS table and a folder of clips; writes a run folder."


def vqa_package() -> ModuleType:
    """moslab_science.vqa, imported only when a subcommand needs it (torch is an optional extra)."""
    if importlib.util.find_spec("torch") is None:
        raise CommandError('this subcommand needs PyTorch: pip install -e ".[iqa]" (torch, transformers)')
    return importlib.import_module("moslab_science.vqa")


def add_arguments(parser) -> None:
    parser.add_argument("--arch", required=True, help="aigc-vqa or clip-video")
    parser.add_argument("--table", required=True, type=Path,
                        help="CSV with video, mos, split (and technical, aesthetic, alignment, prompt) columns")
    parser.add_argument("--videos", required=True, type=Path, help="folder holding the table's clips")
    parser.add_argument("--out", required=True, type=Path, help="run directory to create (or resume)")
    parser.add_argument("--config", type=Path, help="JSON or TOML overriding the architecture's defaults")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its last epoch")


def run(options: dict, stdout) -> None:
    vqa = vqa_package()
    try:
        overrides = vqa.read_config_file(options["config"]) if options["config"] else {}
        config = vqa.resolve_config(options["arch"], overrides)
        summary = vqa.train_video_run(config=config, table=options["table"], videos=options["videos"],
                                      out=options["out"], device=options["device"], resume=options["resume"],
                                      log=stdout.write)
    except DomainError as error:
        raise CommandError(str(error)) from None
    test = summary.get("test")
    shown = {key: test[key] for key in ("n", "srcc", "plcc", "krcc")} if isinstance(test, dict) else test
    stdout.write(f"best validation epoch: {json.dumps(summary['best'])}")
    stdout.write(f"test part (scored once): {json.dumps(shown)}")
    stdout.write(f"run directory: {options['out']}")
