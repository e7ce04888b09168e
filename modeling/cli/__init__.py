"""Handlers of ``manage.py iqa`` subcommands, one module each.

Each module defines ``NAME`` and ``HELP`` (str), ``add_arguments(parser)`` and ``run(options, stdout)``;
``run`` raises ``django.core.management.CommandError`` with a message saying what to fix.
"""
