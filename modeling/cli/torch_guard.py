"""The IQA package needs torch, an optional extra: the web app and the other subcommands run without it."""
import importlib
import importlib.util
from types import ModuleType

from django.core.management import CommandError


def iqa_package() -> ModuleType:
    """moslab_science.iqa (with read_config_file), imported only when a subcommand needs it."""
    if importlib.util.find_spec("torch") is None:
        raise CommandError('this subcommand needs PyTorch: pip install -e ".[iqa]" (torch and the model weights)')
    return importlib.import_module("moslab_science.iqa")
