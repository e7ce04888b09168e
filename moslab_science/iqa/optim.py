"""Optimisers with a backbone and a head rate, and the learning-rate schedules, as per-step multipliers."""
import math

import torch
from torch import nn

from moslab_science.iqa.errors import IqaError

HYPERIQA_DECAY_EVERY = 6  # epochs between the hyper network's tenfold decays (official solver)
HYPERIQA_RATIO_UNTIL = 8  # after this epoch the hyper network runs at the backbone's rate


def make_optimizer(groups: dict[str, list[nn.Parameter]], optim: dict) -> torch.optim.Optimizer:
    params = [
        {"params": groups["backbone"], "lr": optim["lr"], "name": "backbone"},
        {"params": groups["head"], "lr": optim["lr"] * optim["head_lr_ratio"], "name": "head"},
    ]
    params = [group for group in params if group["params"]]
    options = {"weight_decay": optim["weight_decay"], "betas": tuple(optim["betas"])}
    if optim["name"] == "adamw":
        return torch.optim.AdamW(params, **options)
    if optim["name"] == "adam":
        return torch.optim.Adam(params, **options)
    raise IqaError(f'unknown optim.name {optim["name"]!r}: use "adamw" or "adam"')


def make_scheduler(optimizer: torch.optim.Optimizer, schedule: dict, *, head_lr_ratio: float, steps_per_epoch: int,
                   epochs: int) -> torch.optim.lr_scheduler.LambdaLR:
    total = steps_per_epoch * epochs
    if schedule["name"] == "cosine":
        warmup = round(schedule["warmup_fraction"] * total)
        factors = [lambda step: cosine_with_warmup(step, warmup=warmup, total=total)] * len(optimizer.param_groups)
    elif schedule["name"] == "cosine_periodic":
        period = schedule["t_max_steps"]
        factors = [lambda step: 0.5 * (1.0 + math.cos(math.pi * step / period))] * len(optimizer.param_groups)
    elif schedule["name"] == "hyperiqa_step":
        def hyper(step: int) -> float:
            return hyperiqa_head_factor(step // steps_per_epoch, head_lr_ratio)

        factors = [(lambda step: 1.0) if group["name"] == "backbone" else hyper for group in optimizer.param_groups]
    else:
        raise IqaError(f'unknown schedule.name {schedule["name"]!r}: use cosine, cosine_periodic or hyperiqa_step')
    return torch.optim.lr_scheduler.LambdaLR(optimizer, factors)


def cosine_with_warmup(step: int, *, warmup: int, total: int) -> float:
    """Linear warm-up from 0 to 1 over `warmup` steps, then cosine decay to 0 at `total`."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def hyperiqa_head_factor(epoch: int, ratio: float) -> float:
    """The official solver's hyper-network rate during `epoch` (0-based), relative to lr x ratio: after each
    epoch t it sets lr / 10^(t // 6) x (ratio while t <= 8, else 1); the backbone keeps lr throughout."""
    if epoch == 0:
        return 1.0
    finished = epoch - 1
    ratio_now = ratio if finished <= HYPERIQA_RATIO_UNTIL else 1.0
    return ratio_now / ratio / 10 ** (finished // HYPERIQA_DECAY_EVERY)
