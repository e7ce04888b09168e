"""What each model of a benchmark runs: its kind and, for an IQA architecture, the fully resolved configuration.

Names: an architecture of ``moslab_science.iqa`` (trained on each split), ``brisque`` or ``niqe`` (classical,
``moslab_science.classical``), or ``run:<id>`` (the best checkpoint of an earlier training run, scored zero-shot).
Architectures need PyTorch (the ``iqa`` extra), imported only when an architecture is planned.
"""
import importlib
import importlib.util
from dataclasses import dataclass

from moslab_science.errors import DomainError

CLASSICAL_MODELS = ("brisque", "niqe")
RUN_PREFIX = "run:"
ZERO_SHOT_MODELS = ("niqe",)


@dataclass(frozen=True)
class ModelPlan:
    model: str
    kind: str  # train, classical or zero_shot (TrainingRun.Kind values)
    config: dict


def architecture_names() -> list[str]:
    if importlib.util.find_spec("torch") is None:
        return []
    return sorted(importlib.import_module("moslab_science.iqa").ARCHITECTURES)


def missing_weights() -> dict[str, str]:
    """Architecture -> what to place for the pretrained weight of its paper configuration, for those whose weight
    is not in place here (nothing is hashed); {} without PyTorch (then no architecture is offered)."""
    if importlib.util.find_spec("torch") is None:
        return {}
    iqa = importlib.import_module("moslab_science.iqa")
    found = {name: iqa.paper_weight_missing(name) for name in sorted(iqa.ARCHITECTURES)}
    return {name: text for name, text in found.items() if text}


def plan_model(model: str, hyperparameters: dict, *, zero_shot: bool, seed: int) -> ModelPlan:
    """The run plan of one model; DomainError says what is wrong with the name or the hyperparameters."""
    if model.startswith(RUN_PREFIX):
        if not model[len(RUN_PREFIX):].isdigit():
            raise DomainError(f"{model!r}: name an earlier training run as run:<its number>, e.g. run:12")
        return ModelPlan(model, "zero_shot", {"source_run": int(model[len(RUN_PREFIX):])})
    if model in CLASSICAL_MODELS:
        if zero_shot and model not in ZERO_SHOT_MODELS:
            raise DomainError(f"{model} trains its SVR on a training part; a zero-shot protocol has none "
                              f"(zero-shot models: {', '.join(ZERO_SHOT_MODELS)} or run:<id>)")
        return ModelPlan(model, "zero_shot" if zero_shot else "classical", {"method": model, "seed": seed})
    if importlib.util.find_spec("torch") is None:
        raise DomainError(f"{model!r} is an IQA architecture and needs PyTorch: pip install -e \".[iqa]\"")
    iqa = importlib.import_module("moslab_science.iqa")
    if model not in iqa.ARCHITECTURES:
        known = ", ".join([*sorted(iqa.ARCHITECTURES), *CLASSICAL_MODELS, "run:<id>"])
        raise DomainError(f"unknown model {model!r} (known: {known})")
    if zero_shot:
        raise DomainError(f"{model} must be trained first: a zero-shot protocol scores niqe or a trained run "
                          "(run:<id>)")
    overrides = {**hyperparameters, "train": {**hyperparameters.get("train", {}), "seed": seed}}
    try:
        config = iqa.resolve_config(model, overrides)
    except iqa.IqaError as error:
        raise DomainError(f"{model}: {error}") from None
    return ModelPlan(model, "train", config)
