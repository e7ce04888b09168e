"""``manage.py vqa predict``: score a folder of clips with a video run (no database)."""
from pathlib import Path

from django.core.management import CommandError

from common.errors import DomainError
from modeling.cli.vqa_train import vqa_package

NAME = "predict"
HELP = "Score every clip in a folder with a video run's best checkpoint; writes CSV video,score,<branches>."


def add_arguments(parser) -> None:
    parser.add_argument("--checkpoint", required=True, type=Path, help="run directory written by vqa train")
    parser.add_argument("--videos", required=True, type=Path, help="folder of .mp4/.webm clips to score")
    parser.add_argument("--out", required=True, type=Path, help="CSV to write (columns video,score,...)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--table", type=Path, help="table with each clip's prompt (aigc-vqa needs it)")


def run(options: dict, stdout) -> None:
    vqa = vqa_package()
    try:
        count = vqa.predict_videos(run_dir=options["checkpoint"], videos=options["videos"], out=options["out"],
                                   device=options["device"], table=options["table"])
    except DomainError as error:
        raise CommandError(str(error)) from None
    stdout.write(f"scored {count} clip(s) into {options['out']}")
