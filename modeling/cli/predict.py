"""``manage.py iqa predict``: score a folder of images with a trained run (no database)."""
from pathlib import Path

from django.core.management import CommandError

from common.errors import DomainError
from modeling.cli.torch_guard import iqa_package

NAME = "predict"
HELP = "Score every image in a folder with a training run's best checkpoint; writes CSV image,score."


def add_arguments(parser) -> None:
    parser.add_argument("--checkpoint", required=True, type=Path, help="run directory written by iqa train")
    parser.add_argument("--images", required=True, type=Path, help="folder of images to score")
    parser.add_argument("--out", required=True, type=Path, help="CSV to write (columns image,score)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--table", type=Path, help="table with each image's prompt (prompt-conditioned models)")


def run(options: dict, stdout) -> None:
    iqa = iqa_package()
    try:
        count = iqa.predict_folder(run_dir=options["checkpoint"], images=options["images"], out=options["out"],
                                   device=options["device"], table=options["table"])
    except DomainError as error:
        raise CommandError(str(error)) from None
    stdout.write(f"scored {count} image(s) into {options['out']}")
