"""Official checkpoints: a whole model's state dict as its authors' code saves it, loaded into moslab's model.

The file is registered like any weight (weights.py: ``[weights.NAME]`` with path, sha256 and source) and named
by ``"pretrained": "NAME"`` (IQA) or ``model.technical.weight`` (AIGC-VQA's technical branch). Loading is strict:
every tensor of the file must find its place with its shape, and every tensor of the model must come from the file;
otherwise WeightError lists what is missing, left over or mis-shaped. The key mapping is each architecture's
(``official_key``); a ``module.`` prefix left by DataParallel is removed first. The forward passes that these
files feed are checked against the official code in tests/modeling/equivalence.
"""
from collections.abc import Callable

import torch
from torch import nn

from moslab_science.iqa.errors import WeightError

DATA_PARALLEL_PREFIX = "module."


def load_official_state(model: nn.Module, state: dict[str, torch.Tensor], *, what: str,
                        official_key: Callable[[str], str | None] = lambda key: key,
                        reshape: Callable[[str, torch.Tensor], torch.Tensor] = lambda name, value: value) -> None:
    """Load `state` (an official checkpoint of `what`) into `model`, strictly. `official_key` maps a file key to the
    model's name, or to None for a tensor of a part moslab's model does not have (DOVER's aesthetic branch in its
    technical one). A name of a buffer the model computes and does not save (a Swin relative position index) is
    checked for equality instead of loaded. `reshape` adapts a tensor to the model's layout (a 1x1x1 convolution
    kept as a linear layer)."""
    if state and all(key.startswith(DATA_PARALLEL_PREFIX) for key in state):
        state = {key[len(DATA_PARALLEL_PREFIX):]: value for key, value in state.items()}
    own = model.state_dict()
    computed = {name: value for name, value in model.named_buffers() if name not in own}
    mapped, problems = {}, []
    for key, value in state.items():
        name = official_key(key)
        if name is None:
            continue
        if name in computed:
            if computed[name].shape != value.shape or not torch.equal(computed[name].to(value.dtype), value):
                problems.append(f"{key}: differs from {name}, which the architecture computes")
            continue
        if name not in own:
            problems.append(f"{key}: no tensor {name} in moslab's model")
            continue
        value = reshape(name, value)
        if tuple(value.shape) != tuple(own[name].shape):
            problems.append(f"{key}: shape {tuple(value.shape)} in the file, {tuple(own[name].shape)} in the model")
        mapped[name] = value
    problems += [f"{name}: missing from the file" for name in own if name not in mapped]
    if problems:
        raise WeightError(f"the checkpoint does not have the official {what} layout ({len(problems)} problems): "
                          "register the file its authors released", problems=problems)
    model.load_state_dict(mapped, strict=True)
