"""``manage.py iqa <subcommand>``: IQA baselines, models and metrics, without the database.

Each subcommand lives in its own module under ``modeling/cli/`` (see that package's docstring for the contract).
"""

from modeling.cli import SubcommandsCommand, baseline, evaluate, predict, train


class Command(SubcommandsCommand):
    help = "IQA without the database: evaluate predictions against MOS, run classical baselines."
    # Registration point: add each subcommand module here (dan: train, predict).
    SUBCOMMANDS = (train, predict, evaluate, baseline)
