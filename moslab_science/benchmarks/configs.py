"""What each model of a benchmark runs: its kind and, for an IQA architecture, the fully resolved configuration.

Names: an architecture of ``moslab_science.iqa`` (trained on each split, or scored zero-shot on its pretrained
weights when it can: ``moslab_science.iqa.zero_shot_problem``), ``brisque`` or ``niqe`` (classical,
``moslab_science.classical``), ``run:<id>`` (the best checkpoint of an earlier training run, scored zero-shot), or a
video architecture of ``moslab_science.vqa`` (trained on the split's clips through its stages).
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
    epochs: int = 0  # training epochs in all (a video model's stages together)
    video: bool = False  # a moslab_science.vqa architecture, trained on clips in stages
    stages: tuple[dict, ...] = ()  # a video architecture's schedule in order: {"name", "epochs"} per stage


def architecture_names() -> list[str]:
    """The image architectures, then the video ones (each sorted); none without PyTorch."""
    if importlib.util.find_spec("torch") is None:
        return []
    return [*sorted(importlib.import_module("moslab_science.iqa").ARCHITECTURES), *sorted(_video_architectures())]


def _video_architectures() -> dict:
    return importlib.import_module("moslab_science.vqa").ARCHITECTURES


def _plan_video(model: str, hyperparameters: dict, *, zero_shot: bool, seed: int) -> ModelPlan:
    """A video architecture trained through its stages. The run system evaluates the protocol's group column itself,
    so the video loop, which has no such key, does not get it."""
    if zero_shot:
        raise DomainError(f"{model} is a video model trained through its stages: a zero-shot protocol cannot train "
                          "it (score a trained video run's clips with manage.py vqa predict)")
    vqa = importlib.import_module("moslab_science.vqa")
    data = {key: value for key, value in hyperparameters.get("data", {}).items() if key != "group_column"}
    overrides = {**hyperparameters, "data": data, "train": {**hyperparameters.get("train", {}), "seed": seed}}
    try:
        config = vqa.resolve_config(model, overrides)
    except vqa.VqaError as error:
        raise DomainError(f"{model}: {error}", problems=getattr(error, "problems", [])) from None
    stages = tuple({"name": name, "epochs": config["stages"][name]["epochs"]}
                   for name in vqa.ARCHITECTURES[model].stage_branches)
    return ModelPlan(model, "train", config, epochs=sum(stage["epochs"] for stage in stages), video=True,
                     stages=stages)


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
                              f"(zero-shot models: {', '.join(ZERO_SHOT_MODELS)}, a pretrained prompt scorer such as "
                              "clip-iqa, or run:<id>)")
        return ModelPlan(model, "zero_shot" if zero_shot else "classical", {"method": model, "seed": seed})
    if importlib.util.find_spec("torch") is None:
        raise DomainError(f"{model!r} is an IQA architecture and needs PyTorch: pip install -e \".[iqa]\"")
    iqa = importlib.import_module("moslab_science.iqa")
    if model in _video_architectures():
        return _plan_video(model, hyperparameters, zero_shot=zero_shot, seed=seed)
    if model not in iqa.ARCHITECTURES:
        known = ", ".join([*architecture_names(), *CLASSICAL_MODELS, "run:<id>"])
        raise DomainError(f"unknown model {model!r} (known: {known})")
    overrides = {**hyperparameters, "train": {**hyperparameters.get("train", {}), "seed": seed}}
    try:
        config = iqa.resolve_config(model, overrides)
    except iqa.IqaError as error:
        raise DomainError(f"{model}: {error}") from None
    if zero_shot:
        problem = iqa.zero_shot_problem(model, config)
        if problem:
            raise DomainError(f"{model} {problem}")
        return ModelPlan(model, "zero_shot", config)
    return ModelPlan(model, "train", config, epochs=config["train"]["epochs"])
