"""``manage.py iqa predict``: score images with a trained run (no database): a folder, or one part of a table."""
from pathlib import Path

from django.core.management import CommandError

from common.errors import DomainError
from modeling.cli.console import add_console_arguments, open_console
from modeling.cli.torch_guard import iqa_package

NAME = "predict"
HELP = ("Score images with a training run's best checkpoint: every image in a folder (CSV image,score), or with "
        "--part the rows of one part of --table (CSV image,score,mos).")


def add_arguments(parser) -> None:
    parser.add_argument("--checkpoint", required=True, type=Path, help="run directory written by iqa train")
    parser.add_argument("--images", required=True, type=Path, help="folder of images to score")
    parser.add_argument("--out", required=True, type=Path, help="CSV to write (columns image,score)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--table", type=Path,
                        help="with --part: the table whose rows to score; else each image's prompt (clip-agi)")
    parser.add_argument("--part", help="score only the table's rows of this part (train, val or test)")
    parser.add_argument("--split-column", help="the table's split column (default: the run's data.split_column)")
    add_console_arguments(parser)


def run(options: dict, stdout) -> None:
    iqa = iqa_package()
    if options["part"] and not options["table"]:
        raise CommandError("--part needs --table: the table whose rows of that part to score")
    try:
        console = open_console(iqa, options, stdout)
        common = {"run_dir": options["checkpoint"], "images": options["images"], "out": options["out"],
                  "device": options["device"], "table": options["table"], "progress": console.progress}
        if options["part"]:
            count = iqa.predict_table_part(**common, part=options["part"], split_column=options["split_column"])
        else:
            count = iqa.predict_folder(**common)
    except DomainError as error:
        raise CommandError(str(error)) from None
    stdout.write(f"scored {count} image(s) into {options['out']}")
