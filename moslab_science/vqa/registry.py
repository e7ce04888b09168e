"""Video architectures by name: the paper's defaults, a tiny random-initialised configuration for tests,
the stages of the schedule, and the offline weights each branch starts from."""
from collections.abc import Callable
from dataclasses import dataclass, field

from torch import nn

from moslab_science.iqa import weights
from moslab_science.iqa.errors import WeightError
from moslab_science.iqa.registry import CLIP_DEFAULTS, CLIP_TINY
from moslab_science.vqa import config as vqa_config
from moslab_science.vqa.config import DIMENSIONS
from moslab_science.vqa.errors import VqaError
from moslab_science.vqa.inputs import InputMaker, aigc_vqa_inputs, clip_video_inputs


@dataclass(frozen=True)
class VideoArchitecture:
    name: str
    paper: str
    build: Callable[[dict], nn.Module]
    inputs: InputMaker
    branch_weights: Callable[[dict], dict[str, str]]  # branch -> weight name, from the "model" section
    stage_branches: dict[str, tuple[str, ...]]  # stage -> the branches it trains; "score" adds the final loss
    defaults: dict = field(default_factory=dict)
    tiny: dict = field(default_factory=dict)


def _aigc_vqa(model: dict) -> nn.Module:
    from moslab_science.vqa.aigc_vqa import AigcVqa  # transformers takes seconds to import: only when used

    return AigcVqa(**model)


def _aesthetic_weight(aesthetic: dict) -> str:
    """model.aesthetic.weight, else its backbone's usual file: DOVER's checkpoint or the ImageNet EfficientNet."""
    if aesthetic["weight"]:
        return aesthetic["weight"]
    return "dover" if aesthetic["backbone"] == "convnext3d" else f"efficientnet-{aesthetic['variant']}-imagenet"


def _clip_video(model: dict) -> nn.Module:
    from moslab_science.vqa.clip_video import ClipVideo

    return ClipVideo(**model)


AIGC_VQA_DEFAULTS = {
    "model": {
        "technical": {"weight": "video-swin-t-kinetics400", "patch": [2, 4, 4], "embed_dim": 96,
                      "depths": [2, 2, 6, 2], "heads": [3, 6, 12, 24], "window": [8, 7, 7],
                      "frag_biases": [True, True, True, False], "head_hidden": 64},
        "aesthetic": {"backbone": "efficientnet-lite", "weight": None, "head_hidden": 64,  # head: convnext3d only
                      "variant": "lite0", "frozen_blocks": 0, "dropout": 0.2, "frozen_bn": True,
                      "width_scale": 1.0, "depth_cap": None},
        "alignment": {"weight": "blip-itm-base-coco", "tokenizer": "bert", "adapter_bottleneck": 64,
                      "vision": {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
                                 "num_attention_heads": 12, "image_size": 384, "patch_size": 16},
                      "text": {"vocab_size": 30524, "hidden_size": 768, "intermediate_size": 3072,
                               "num_hidden_layers": 12, "num_attention_heads": 12, "max_position_embeddings": 512}},
    },
    "input": {"technical_frames": 32, "fragment_grid": 7, "fragment_patch": 32, "aesthetic_frames": 8,
              "aesthetic_size": 224, "alignment_frames": 8, "alignment_size": 384,
              "normalise": {"technical": "imagenet", "aesthetic": "tf", "alignment": "clip"}},
    "stages": {
        "branches": {"epochs": 10, "lr": 1e-4, "unfreeze_share": 1.0},
        "alignment": {"epochs": 10, "lr": 1e-5, "unfreeze_share": 0.3},
        "joint": {"epochs": 2, "lr": 5e-6, "unfreeze_share": 0.1},
    },
    "train": {"batch_size": 8},
}
AIGC_VQA_TINY = {
    "pretrained": False,
    "model": {
        "technical": {"embed_dim": 16, "depths": [2], "heads": [2], "window": [2, 4, 4], "frag_biases": [True],
                      "head_hidden": 8},
        "aesthetic": {"frozen_bn": False, "width_scale": 0.25, "depth_cap": 1},
        "alignment": {"tokenizer": "characters", "adapter_bottleneck": 4,
                      "vision": {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
                                 "num_attention_heads": 2, "image_size": 32, "patch_size": 16},
                      "text": {"vocab_size": 64, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
                               "num_attention_heads": 2, "max_position_embeddings": 64}},
    },
    "input": {"technical_frames": 4, "fragment_grid": 2, "fragment_patch": 16, "aesthetic_frames": 2,
              "aesthetic_size": 32, "alignment_frames": 2, "alignment_size": 32},
    "stages": {"branches": {"epochs": 1, "lr": 1e-3}, "alignment": {"epochs": 1, "lr": 1e-3},
               "joint": {"epochs": 1, "lr": 1e-3}},
    "train": {"batch_size": 3},
}
CLIP_VIDEO_DEFAULTS = {
    "model": CLIP_DEFAULTS["model"],
    "input": {"frames": 8, "size": 224, "normalise": "clip"},
    "stages": {"finetune": {"epochs": 10, "lr": 5e-6, "unfreeze_share": 1.0}},
    "train": {"batch_size": 8, "weight_decay": 1e-3},
}
CLIP_VIDEO_TINY = {
    "pretrained": False,
    "model": CLIP_TINY["model"],
    "input": {"frames": 2, "size": 32},
    "stages": {"finetune": {"epochs": 2, "lr": 1e-3}},
    "train": {"batch_size": 3},
}

ARCHITECTURES = {
    arch.name: arch
    for arch in (
        VideoArchitecture(
            name="aigc-vqa",
            paper="Lu et al., AIGC-VQA: A Holistic Perception Metric for AIGC Video Quality Assessment, CVPR "
            "Workshops 2024 (NTIRE 2024 quality assessment of AI-generated content, video track winner)",
            build=_aigc_vqa,
            inputs=aigc_vqa_inputs,
            branch_weights=lambda model: {"technical": model["technical"]["weight"],
                                          "aesthetic": _aesthetic_weight(model["aesthetic"]),
                                          "alignment": model["alignment"]["weight"]},
            stage_branches={"branches": ("technical", "aesthetic"), "alignment": ("alignment",),
                            "joint": (*DIMENSIONS, "score")},
            defaults=AIGC_VQA_DEFAULTS,
            tiny=AIGC_VQA_TINY,
        ),
        VideoArchitecture(
            name="clip-video",
            paper="frame-averaged CLIP five-level prompt scorer (moslab_science.iqa's clip / clip-agi on N uniformly "
            "sampled frames, mean of the frame scores)",
            build=_clip_video,
            inputs=clip_video_inputs,
            branch_weights=lambda model: {"overall": model["weight"]},
            stage_branches={"finetune": ("overall",)},
            defaults=CLIP_VIDEO_DEFAULTS,
            tiny=CLIP_VIDEO_TINY,
        ),
    )
}


def architecture(name: str) -> VideoArchitecture:
    if name not in ARCHITECTURES:
        raise VqaError(f"unknown video architecture {name!r} (known: {', '.join(sorted(ARCHITECTURES))})")
    return ARCHITECTURES[name]


def resolve_config(name: str, overrides: dict | None = None) -> dict:
    """The full configuration of a video run: common defaults, the paper's, then `overrides` (a user's file)."""
    arch = architecture(name)
    config = vqa_config.resolve(name, arch.defaults, arch.tiny, overrides)
    if name == "aigc-vqa":
        if config["model"]["aesthetic"]["backbone"] == "convnext3d" and config["input"]["aesthetic_frames"] % 2:
            raise VqaError(f"input.aesthetic_frames is {config['input']['aesthetic_frames']}: ConvNeXt-3D's stem "
                           "takes the frames in pairs; give an even number (DOVER uses 32)")
        sizes = ("input.alignment_size", config["input"]["alignment_size"],
                 "model.alignment.vision.image_size", config["model"]["alignment"]["vision"]["image_size"])
    else:
        sizes = ("input.size", config["input"]["size"], "model.vision.image_size",
                 config["model"]["vision"]["image_size"])
    if sizes[1] != sizes[3]:
        raise VqaError(f"{sizes[0]} is {sizes[1]} but {sizes[2]} is {sizes[3]}: the frames must be the size the "
                       "vision encoder was built for; set both to the same value")
    return config


def build_model(name: str, config: dict) -> nn.Module:
    """The architecture with each branch's pretrained weights, or random-initialised when `pretrained` is false.
    Every missing weight is named before anything is built."""
    arch = architecture(name)
    needed = arch.branch_weights(config["model"]) if config["pretrained"] else {}
    problems = []
    for branch, weight in needed.items():
        try:
            weights.resolve_weight(weight)
        except WeightError as error:
            problems.append(f"{branch} branch: {error}")
    if problems:
        raise WeightError(f"{name} cannot start from its pretrained weights (or set \"pretrained\": false)",
                          problems=problems)
    model = arch.build(config["model"])
    for branch, weight in needed.items():
        model.branch(branch).load_pretrained(weights.load_state_dict(weight))
    return model
