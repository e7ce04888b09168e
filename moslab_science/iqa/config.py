"""Run configurations: plain nested dicts, an architecture's defaults overlaid with a user's file.

A configuration file (JSON or TOML) holds only what it changes; ``"preset": "tiny"`` starts from the
architecture's tiny test configuration instead of the paper's. Unknown keys are refused, so a typo never
silently falls back to a default.
"""
import copy
import json
import tomllib
from pathlib import Path

from moslab_science.iqa.errors import IqaError

COMMON_DEFAULTS = {
    "pretrained": True,
    "model": {},
    "data": {
        "image_column": "image",
        "mos_column": "mos",
        "split_column": "split",
        "group_column": None,
        "prompt_column": None,  # the text prompt of each (AI-generated) image, for prompt-conditioned models
        "std_column": None,  # the ratings' standard deviation (MOS units), for DeQA-Score soft labels
        "level_columns": None,  # or the five level probabilities (bad first), for DeQA-Score soft labels
        "max_pixels": 64 * 1024 * 1024,
        "ignore_case": False,  # find "a.jpg" as "a.JPG" when only the case differs (a warning lists them)
    },
    "input": {
        "normalise": "imagenet",  # or "tf" (EfficientNet-Lite's 127/128 scaling)
        "resize": None,  # [width, height] only where the paper resizes
        "train_crop": None,  # None = whole image
        "train_patches": 1,  # crops per image per epoch, each its own sample (HyperIQA: 25)
        "flip": 0.5,  # probability of a horizontal flip per training view
        "eval_crop": None,
        "eval_patches": 1,  # crops averaged per image at evaluation
        "eval_sampling": "grid",  # "grid" (evenly spaced), "random" (seeded), "centre"
    },
    "optim": {"name": "adamw", "lr": 1e-4, "head_lr_ratio": 10.0, "weight_decay": 1e-2, "betas": [0.9, 0.999]},
    "schedule": {"name": "cosine", "warmup_fraction": 0.05, "t_max_steps": 50},
    "train": {
        "epochs": 10,
        "batch_size": 8,
        "grad_accum": 1,
        "loss": "l1",  # also mse, fidelity_plcc_l1; on five level logits: level_ce (Q-Align), deqa (DeQA-Score)
        "deqa_density": "cdf",  # DeQA-Score's Gaussian discretised by "cdf" (interval mass) or "pdf" (density)
        "target_scaling": "zscore",  # or "none": regress the MOS as it is
        "seed": 0,
        "amp": "bf16",  # on CUDA only; CPU runs in float32
        "max_steps_per_epoch": None,
        "checkpoint_every_steps": 200,  # also at each epoch's end and when stopped; 0: only then
        "num_workers": 0,
        "select_metric": "srcc_plcc",  # validation SRCC + PLCC (MA-AGIQA); or "srcc"
    },
}
PARTS = ("train", "val", "test")


def deep_merge(base: dict, overrides: dict, *, where: str = "") -> dict:
    """`base` with `overrides` laid over it; a key `base` lacks is an error naming it."""
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if key not in merged:
            raise IqaError(f"unknown configuration key {where + key!r} (known: {', '.join(sorted(merged))})")
        if isinstance(merged[key], dict) and merged[key] and isinstance(value, dict):
            merged[key] = deep_merge(merged[key], value, where=f"{where}{key}.")
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def read_config_file(path: Path) -> dict:
    try:
        text = path.read_text()
        return json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except FileNotFoundError:
        raise IqaError(f"configuration file {path} does not exist") from None
    except (ValueError, tomllib.TOMLDecodeError) as error:
        raise IqaError(f"configuration file {path} is not valid {path.suffix.lstrip('.') or 'TOML'}: {error}") from None
