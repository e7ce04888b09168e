"""``manage.py vqa <subcommand>``: video quality models without the database (moslab_science.vqa).

Each subcommand lives in its own module under ``modeling/cli/`` (the contract is in that package's docstring).
"""
from modeling.cli import SubcommandsCommand, vqa_predict, vqa_train


class Command(SubcommandsCommand):
    help = "Video quality models without the database: train AIGC-VQA or the CLIP video baseline, score clips."
    SUBCOMMANDS = (vqa_train, vqa_predict)
