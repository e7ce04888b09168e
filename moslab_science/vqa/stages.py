"""The divide-and-conquer schedule: stages run in order, each with its own epochs, learning rate and the
parameters it trains.

A stage trains the branches the architecture assigns to it (AIGC-VQA: ``branches`` = technical + aesthetic,
``alignment``, ``joint`` = all three plus the final score's loss). Within each of them it trains the last
``unfreeze_share`` of the branch's parameters in registration order, counted in elements (1.0: all), plus
the parameters that are always trained (heads and the adapter). Everything else is frozen: no gradient, not
in the optimiser. Parameters a branch freezes by design (e.g. an unused classifier) stay frozen.
"""
from dataclasses import dataclass

from torch import nn


@dataclass(frozen=True)
class Stage:
    name: str
    first_epoch: int  # 0-based, global across stages
    epochs: int
    lr: float
    unfreeze_share: float
    branches: tuple[str, ...]  # the branches trained; "score" adds the final score's loss

    @property
    def trained_branches(self) -> tuple[str, ...]:
        return tuple(branch for branch in self.branches if branch != "score")


def plan(config: dict, stage_branches: dict[str, tuple[str, ...]]) -> list[Stage]:
    """The stages in the architecture's order (`stage_branches`), never the order of the configuration's keys,
    which a JSON store may change (PostgreSQL's jsonb sorts them)."""
    stages, first = [], 0
    for name in stage_branches:
        stage = config["stages"][name]
        stages.append(Stage(name=name, first_epoch=first, epochs=stage["epochs"], lr=float(stage["lr"]),
                            unfreeze_share=float(stage.get("unfreeze_share", 1.0)), branches=stage_branches[name]))
        first += stage["epochs"]
    return stages


def stage_at(stages: list[Stage], epoch: int) -> Stage:
    return next(stage for stage in stages if stage.first_epoch <= epoch < stage.first_epoch + stage.epochs)


def last_share(parameters: list[nn.Parameter], share: float) -> list[nn.Parameter]:
    """The last parameters of the list whose element count first reaches `share` of the total."""
    total = sum(parameter.numel() for parameter in parameters)
    chosen, count = [], 0
    for parameter in reversed(parameters):
        if count >= share * total:
            break
        chosen.append(parameter)
        count += parameter.numel()
    return chosen[::-1]


def apply_stage(model: nn.Module, stage: Stage, trainable_by_design: set[int]) -> list[nn.Parameter]:
    """Set requires_grad for `stage`; returns the trained parameters in the model's order. Branches the stage
    does not train go to eval mode (frozen batch-norm statistics and no dropout)."""
    chosen: set[int] = set()
    for name in stage.trained_branches:
        branch = model.branch(name)
        candidates = [p for p in branch.parameters() if id(p) in trainable_by_design]
        chosen |= {id(p) for p in last_share(candidates, stage.unfreeze_share)}
        chosen |= {id(p) for p in branch.always_trainable() if id(p) in trainable_by_design}
    for parameter in model.parameters():
        parameter.requires_grad_(id(parameter) in chosen)
    return [parameter for parameter in model.parameters() if id(parameter) in chosen]


def set_modes(model: nn.Module, stage: Stage, *, training: bool) -> None:
    model.train(training)
    if training:
        for name in model.branch_names:
            if name not in stage.trained_branches:
                model.branch(name).eval()
