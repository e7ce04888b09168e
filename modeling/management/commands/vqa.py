"""``manage.py vqa <subcommand>``: video quality models without the database (moslab_science.vqa).

Each subcommand lives in its own module under ``modeling/cli/`` (the contract is in that package's docstring).
"""
from django.core.management.base import BaseCommand

from modeling.cli import vqa_predict, vqa_train

SUBCOMMANDS = (vqa_train, vqa_predict)


class Command(BaseCommand):
    help = "Video quality models without the database: train AIGC-VQA or the CLIP video baseline, score clips."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        for module in SUBCOMMANDS:
            module.add_arguments(actions.add_parser(module.NAME, help=module.HELP, description=module.HELP))

    def handle(self, *args, action: str, **options):
        handlers = {module.NAME: module for module in SUBCOMMANDS}
        handlers[action].run(options, self.stdout)
