"""Video run configurations: common defaults, an architecture's paper defaults, its tiny test configuration,
then a user's file (only what it changes; unknown keys are refused, as in moslab_science.iqa.config)."""
from moslab_science.iqa.config import deep_merge
from moslab_science.iqa.errors import IqaError
from moslab_science.vqa.errors import VqaError

DIMENSIONS = ("technical", "aesthetic", "alignment")  # the AIGC-VQA branches, each with its own MOS column
COMMON_DEFAULTS = {
    "pretrained": True,
    "model": {},
    "data": {
        "video_column": "video",
        "mos_column": "mos",  # the overall MOS: the target of the final score and of a branch without its column
        "dimension_columns": {"technical": "technical", "aesthetic": "aesthetic", "alignment": "alignment"},
        "prompt_column": "prompt",
        "split_column": "split",
        "max_seconds": 600.0,
        "max_pixels": 4096 * 2160,
    },
    "input": {},
    "stages": {},  # name -> {"epochs", "lr", "unfreeze_share"}, run in order
    "train": {
        "batch_size": 8,
        "weight_decay": 1e-2,
        "warmup_fraction": 0.05,
        "rank_weight": 1.0,  # loss = PLCC loss + rank_weight x pairwise margin ranking loss
        "rank_margin": 0.0,
        "seed": 0,
        "amp": "bf16",  # on CUDA only; CPU runs in float32
        "max_steps_per_epoch": None,
        "num_workers": 0,
        "select_metric": "srcc_plcc",  # or "srcc"
    },
}


def resolve(arch: str, defaults: dict, tiny: dict, overrides: dict | None) -> dict:
    overrides = dict(overrides or {})
    preset = overrides.pop("preset", "paper")
    if preset not in ("paper", "tiny"):
        raise VqaError(f'unknown preset {preset!r}: use "paper" (the default) or "tiny"')
    config = deep_merge(COMMON_DEFAULTS, defaults)
    if preset == "tiny":
        config = deep_merge(config, tiny)
    try:
        config = deep_merge(config, overrides)
    except IqaError as error:
        raise VqaError(str(error)) from None
    config = {"arch": arch, "preset": preset, **config}
    check_config(config)
    return config


def check_config(config: dict) -> None:
    problems = []
    if not config["stages"]:
        problems.append("stages is empty: give at least one stage with epochs and lr")
    for name, stage in config["stages"].items():
        if not isinstance(stage.get("epochs"), int) or stage["epochs"] < 0:
            problems.append(f"stages.{name}.epochs must be a whole number >= 0, not {stage.get('epochs')!r}")
        if not isinstance(stage.get("lr"), int | float) or stage["lr"] <= 0:
            problems.append(f"stages.{name}.lr must be a positive number, not {stage.get('lr')!r}")
        share = stage.get("unfreeze_share", 1.0)
        if not isinstance(share, int | float) or not 0.0 <= share <= 1.0:
            problems.append(f"stages.{name}.unfreeze_share must be between 0 and 1, not {share!r}")
    train = config["train"]
    if not isinstance(train["batch_size"], int) or train["batch_size"] < 2:
        problems.append(f"train.batch_size must be an integer >= 2 (PLCC and ranking losses need pairs), "
                        f"not {train['batch_size']!r}")
    if train["select_metric"] not in ("srcc_plcc", "srcc"):
        problems.append(f"train.select_metric {train['select_metric']!r}: use srcc_plcc or srcc")
    if problems:
        raise VqaError("the configuration cannot be used", problems=problems)
