"""Handlers of ``manage.py iqa`` and ``manage.py vqa`` subcommands, one module each.

Each module defines ``NAME`` and ``HELP`` (str), ``add_arguments(parser)`` and ``run(options, stdout)``;
``run`` raises ``django.core.management.CommandError`` with a message saying what to fix.
"""
from django.core.management.base import BaseCommand


class SubcommandsCommand(BaseCommand):
    """A command whose ``SUBCOMMANDS`` (handler modules) each add a subparser and run it; no database checks."""

    SUBCOMMANDS: tuple = ()
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        for module in self.SUBCOMMANDS:
            module.add_arguments(actions.add_parser(module.NAME, help=module.HELP, description=module.HELP))

    def handle(self, *args, action: str, **options):
        handlers = {module.NAME: module for module in self.SUBCOMMANDS}
        handlers[action].run(options, self.stdout)
