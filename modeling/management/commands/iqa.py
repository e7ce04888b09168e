"""``manage.py iqa <subcommand>``: IQA baselines, models and metrics, without the database.

Each subcommand lives in its own module under ``modeling/cli/`` (see that package's docstring for the contract).
"""

from django.core.management.base import BaseCommand

from modeling.cli import baseline, evaluate, predict, train

# Registration point: add each subcommand module here (dan: train, predict).
SUBCOMMANDS = (train, predict, evaluate, baseline)


class Command(BaseCommand):
    help = "IQA without the database: evaluate predictions against MOS, run classical baselines."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        for module in SUBCOMMANDS:
            module.add_arguments(actions.add_parser(module.NAME, help=module.HELP, description=module.HELP))

    def handle(self, *args, action: str, **options):
        handlers = {module.NAME: module for module in SUBCOMMANDS}
        handlers[action].run(options, self.stdout)
