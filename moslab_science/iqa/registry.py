"""Architectures by name, each with its paper's defaults and a tiny configuration for tests."""
from collections.abc import Callable
from dataclasses import dataclass, field

from torch import nn

from moslab_science.iqa import checkpoints, official, weights
from moslab_science.iqa.architectures.effnet_lite_iqa import EffNetLiteIqa
from moslab_science.iqa.architectures.hyperiqa import HyperIqa
from moslab_science.iqa.architectures.maniqa import Maniqa
from moslab_science.iqa.config import COMMON_DEFAULTS, deep_merge
from moslab_science.iqa.errors import IqaError


@dataclass(frozen=True)
class Architecture:
    name: str
    paper: str
    build: Callable[[dict], nn.Module]  # from the "model" section
    weight_name: Callable[[dict], str]  # the pretrained backbone, from the "model" section
    defaults: dict = field(default_factory=dict)  # overrides of COMMON_DEFAULTS
    tiny: dict = field(default_factory=dict)  # overrides of `defaults`, random init, seconds on a CPU
    own_weights: bool = False  # build() loads its pretrained model folder itself, given model["pretrained"]; its
    # checkpoints then hold only what training changed, and predicting rebuilds it with those weights
    scores_pretrained: bool = False  # its pretrained weights alone score quality (prompt scorers): zero-shot ready


def _effnet(model: dict) -> nn.Module:
    return EffNetLiteIqa(**model)


def _hyperiqa(model: dict) -> nn.Module:
    return HyperIqa(**{**model, "target_fc": tuple(model["target_fc"]), "layers": tuple(model["layers"])})


def _maniqa(model: dict) -> nn.Module:
    return Maniqa(**model)


def _siglip(model: dict) -> nn.Module:
    from moslab_science.iqa.architectures.siglip_iqa import SiglipIqa  # transformers: only when used

    return SiglipIqa(**model)


def _qalign(model: dict) -> nn.Module:
    from moslab_science.iqa.architectures.qalign import QAlign  # transformers and peft: only when used

    return QAlign(**model)


def _ma_agiqa(model: dict) -> nn.Module:
    from moslab_science.iqa.architectures.ma_agiqa import MaAgiqa  # transformers: only when used

    return MaAgiqa(**model)


def _clip(model: dict) -> nn.Module:
    from moslab_science.iqa.architectures.clip_iqa import (
        ClipIqa,  # transformers takes seconds to import: only when used
    )

    return ClipIqa(**model)


MANIQA_MODEL = {"image": 224, "patch": 8, "embed_dim": 768, "vit_depth": 12, "vit_heads": 12, "depths": [2, 2],
                "heads": [4, 4], "window": 4, "dim_mlp": 768, "num_tab": 2, "scale": 0.8}
MANIQA_TINY_MODEL = {"image": 32, "embed_dim": 16, "vit_depth": 10, "vit_heads": 2, "heads": [2, 2], "window": 2,
                     "dim_mlp": 32}
MANIQA_DEFAULTS = {
    "model": MANIQA_MODEL,
    "input": {"normalise": "half", "train_crop": 224, "flip": 0.7, "eval_crop": 224, "eval_sampling": "five"},
    "optim": {"name": "adam", "lr": 1e-5, "head_lr_ratio": 1.0, "weight_decay": 1e-5},
    "schedule": {"name": "cosine_periodic", "t_max_steps": 50},
    "train": {"epochs": 300, "batch_size": 8, "loss": "mse", "target_scaling": "none"},
}
MANIQA_TINY = {
    "pretrained": False,
    "model": MANIQA_TINY_MODEL,
    "input": {"train_crop": 32, "eval_crop": 32},
    "optim": {"lr": 1e-3},  # at 1e-5 the random tiny score branch stays at ReLU's 0
    "train": {"epochs": 2, "batch_size": 2},
}
CLIP_DEFAULTS = {
    "model": {"weight": "clip-vit-base-patch32", "tokenizer": "clip", "prompts": "quality", "projection_dim": 512,
              "vision": {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
                         "num_attention_heads": 12, "image_size": 224, "patch_size": 32},
              "text": {"vocab_size": 49408, "hidden_size": 512, "intermediate_size": 2048,
                       "num_hidden_layers": 12, "num_attention_heads": 8,
                       "max_position_embeddings": 77}},
    "input": {"normalise": "clip", "train_crop": 224, "eval_crop": 224, "eval_patches": 3},
    "optim": {"lr": 5e-6, "head_lr_ratio": 1.0, "weight_decay": 1e-3},
    "train": {"epochs": 10, "batch_size": 16, "loss": "fidelity_plcc_l1", "target_scaling": "levels"},
}
CLIP_TINY = {
    "pretrained": False,
    "model": {"tokenizer": "characters", "projection_dim": 8,
              "vision": {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
                         "num_attention_heads": 2, "image_size": 32, "patch_size": 16},
              "text": {"vocab_size": 64, "hidden_size": 16, "intermediate_size": 32,
                       "num_hidden_layers": 1, "num_attention_heads": 2,
                       "max_position_embeddings": 96}},  # room for the alignment prompts' text
    "input": {"train_crop": 32, "eval_crop": 32, "eval_patches": 2},
    "optim": {"lr": 1e-3},
    "train": {"epochs": 2, "batch_size": 2},
}


SIGLIP_DEFAULTS = {
    "model": {"weight": "siglip-base-patch16-224", "tokenizer": "siglip", "prompts": "quality",
              "vision": {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
                         "num_attention_heads": 12, "image_size": 224, "patch_size": 16},
              "text": {"vocab_size": 32000, "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
                       "num_attention_heads": 12, "max_position_embeddings": 64}},
    "input": {"normalise": "half", "train_crop": 224, "eval_crop": 224, "eval_patches": 3},
    "optim": CLIP_DEFAULTS["optim"],
    "train": CLIP_DEFAULTS["train"],
}
SIGLIP_TINY = {
    "pretrained": False,
    "model": {"tokenizer": "characters",
              "vision": {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
                         "num_attention_heads": 2, "image_size": 32, "patch_size": 16},
              "text": {"vocab_size": 64, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
                       "num_attention_heads": 2, "max_position_embeddings": 96}},
    "input": {"train_crop": 32, "eval_crop": 32, "eval_patches": 2},
    "optim": {"lr": 1e-3},
    "train": {"epochs": 2, "batch_size": 2},
}
TINY_VISION = {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
               "image_size": 32, "patch_size": 16}
TINY_LLAMA = {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
              "num_key_value_heads": 2, "max_position_embeddings": 64}
QALIGN_DEFAULTS = {
    "model": {"weight": "llava-1.5-7b", "dtype": "bfloat16",
              "template": "USER: <image>\nHow would you rate the quality of this image? ASSISTANT: The quality of "
              "the image is",
              "lora": {"rank": 8, "alpha": 16, "dropout": 0.05, "target_modules": ["q_proj", "k_proj", "v_proj",
                                                                                   "o_proj"]},
              "train_projector": True,
              "vision": {}, "text": {}},  # sizes of a random-initialised LLaVA (tiny); a model folder has its own
    "input": {"normalise": "clip", "resize": [336, 336], "flip": 0.0},  # LLaVA-1.5's CLIP ViT-L/14 at 336 px
    "optim": {"lr": 2e-4, "head_lr_ratio": 0.1, "weight_decay": 0.0},
    "schedule": {"name": "cosine", "warmup_fraction": 0.03},
    "train": {"epochs": 2, "batch_size": 8, "loss": "level_ce", "target_scaling": "levels"},
}
QALIGN_TINY = {
    "pretrained": False,
    "model": {"dtype": "float32", "lora": {"rank": 2, "alpha": 4, "dropout": 0.0}, "vision": TINY_VISION,
              "text": TINY_LLAMA},
    "input": {"resize": [32, 32]},
    "optim": {"lr": 1e-2, "head_lr_ratio": 1.0},
    "train": {"epochs": 2, "batch_size": 2},
}
MA_AGIQA_DEFAULTS = {
    **MANIQA_DEFAULTS,
    "model": {"maniqa": MANIQA_MODEL, "hidden": 784, "drop": 0.1,
              "lmm": {"weight": "llava-1.5-7b", "hidden_size": 4096, "template": None, "dtype": "bfloat16",
                      "seed": 0, "vision": {}, "text": {}}},
    "train": {"epochs": 30, "batch_size": 8, "loss": "mse", "target_scaling": "none", "select_metric": "srcc_plcc"},
}
MA_AGIQA_TINY = {
    **MANIQA_TINY,
    "model": {"maniqa": MANIQA_TINY_MODEL, "hidden": 8,
              "lmm": {"weight": None, "hidden_size": 16, "template": "USER: <image>\n{question} ASSISTANT:",
                      "dtype": "float32", "vision": TINY_VISION, "text": TINY_LLAMA}},
}


ARCHITECTURES = {
    arch.name: arch
    for arch in (
        Architecture(
            name="effnet-lite",
            paper="EfficientNet-Lite ImageNet backbone (Tan & Le, ICML 2019) with a multi-level linear head; "
            "moslab's own CPU baseline",
            build=_effnet,
            weight_name=lambda model: f"efficientnet-{model['variant']}-imagenet",
            defaults={
                "model": {"variant": "lite0", "frozen_blocks": 6, "dropout": 0.2, "frozen_bn": True,
                          "width_scale": 1.0, "depth_cap": None},
                "input": {"normalise": "tf", "train_crop": 320, "eval_crop": None},
                "optim": {"lr": 1e-4, "head_lr_ratio": 10.0, "weight_decay": 1e-4},
                "train": {"epochs": 2, "batch_size": 4},
            },
            tiny={
                "pretrained": False,
                "model": {"variant": "lite0", "frozen_blocks": 1, "frozen_bn": False, "width_scale": 0.25,
                          "depth_cap": 1},
                "input": {"train_crop": 32, "eval_crop": 32, "eval_patches": 2},
                "train": {"epochs": 2, "batch_size": 2},
            },
        ),
        Architecture(
            name="hyperiqa",
            paper="Su et al., Blindly Assess Image Quality in the Wild Guided by a Self-Adaptive Hyper Network, "
            "CVPR 2020 (official code SSL92/hyperIQA)",
            build=_hyperiqa,
            weight_name=lambda model: "resnet50-imagenet",
            defaults={
                "model": {"patch": 224, "lda_out": 16, "hyper_in": 112, "target_in": 224,
                          "target_fc": [112, 56, 28, 14], "layers": [3, 4, 6, 3], "base_width": 64},
                "input": {"train_crop": 224, "train_patches": 25, "eval_crop": 224, "eval_patches": 25,
                          "eval_sampling": "random"},
                "optim": {"name": "adam", "lr": 2e-5, "head_lr_ratio": 10.0, "weight_decay": 5e-4},
                "schedule": {"name": "hyperiqa_step"},
                "train": {"epochs": 16, "batch_size": 96, "target_scaling": "none", "select_metric": "srcc"},
            },
            tiny={
                "pretrained": False,
                "model": {"patch": 64, "lda_out": 4, "hyper_in": 16, "target_in": 32, "target_fc": [16, 8, 8, 4],
                          "layers": [1, 1, 1, 1], "base_width": 8},
                "input": {"train_crop": 64, "train_patches": 2, "eval_crop": 64, "eval_patches": 2},
                "train": {"epochs": 2, "batch_size": 2},
            },
        ),
        Architecture(
            name="maniqa",
            paper="Yang et al., MANIQA: Multi-dimension Attention Network for No-Reference Image Quality "
            "Assessment, CVPR Workshops 2022 (official code IIGROUP/MANIQA)",
            build=_maniqa,
            weight_name=lambda model: "vit-base-patch8-224-imagenet",
            defaults=MANIQA_DEFAULTS,
            tiny=MANIQA_TINY,
        ),
        Architecture(
            name="clip",
            paper="CLIP five-level prompt scorer ('a photo with {bad..perfect} quality', softmax expectation) "
            "fine-tuned with fidelity + PLCC + L1 losses, the VQualA 2025 runner-up's recipe (LIQE-style)",
            build=_clip,
            weight_name=lambda model: model["weight"],
            defaults=CLIP_DEFAULTS,
            tiny=CLIP_TINY,
            scores_pretrained=True,
        ),
        Architecture(
            name="clip-agi",
            paper="the CLIP scorer conditioned on each AI-generated image's prompt ('a {badly..perfectly} image "
            "matching the prompt: <prompt>'), after the NTIRE 2024 AIGC quality winner",
            build=_clip,
            weight_name=lambda model: model["weight"],
            defaults={**CLIP_DEFAULTS, "model": {**CLIP_DEFAULTS["model"], "prompts": "alignment"},
                      "data": {"prompt_column": "prompt"}},
            tiny=CLIP_TINY,
            scores_pretrained=True,
        ),
        Architecture(
            name="clip-iqa",
            paper="CLIP-IQA (Wang et al., Exploring CLIP for Assessing the Look and Feel of Images, AAAI 2023): the "
            "antonym prompts 'Good photo.' / 'Bad photo.', score 1 + 4 P(good); trainable with the CLIP scorer's "
            "recipe",
            build=_clip,
            weight_name=lambda model: model["weight"],
            defaults={**CLIP_DEFAULTS, "model": {**CLIP_DEFAULTS["model"], "prompts": "antonym"}},
            tiny=CLIP_TINY,
            scores_pretrained=True,
        ),
        Architecture(
            name="siglip",
            paper="SigLIP five-level prompt scorer: the CLIP scorer's prompts, softmax expectation and fidelity + "
            "PLCC + L1 recipe on SigLIP (Zhai et al., ICCV 2023)",
            build=_siglip,
            weight_name=lambda model: model["weight"],
            defaults=SIGLIP_DEFAULTS,
            tiny=SIGLIP_TINY,
            scores_pretrained=True,
        ),
        Architecture(
            name="siglip-agi",
            paper="the SigLIP scorer conditioned on each AI-generated image's prompt, as clip-agi",
            build=_siglip,
            weight_name=lambda model: model["weight"],
            defaults={**SIGLIP_DEFAULTS, "model": {**SIGLIP_DEFAULTS["model"], "prompts": "alignment"},
                      "data": {"prompt_column": "prompt"}},
            tiny=SIGLIP_TINY,
            scores_pretrained=True,
        ),
        Architecture(
            name="qalign",
            paper="Q-Align-style LMM scorer (Wu et al., Q-Align, ICML 2024): softmax over the five level words' "
            "logits weighted 1..5, LoRA fine-tuning; train.loss \"deqa\" for DeQA-Score's soft labels (You et al., "
            "CVPR 2025)",
            build=_qalign,
            weight_name=lambda model: model["weight"],
            defaults=QALIGN_DEFAULTS,
            tiny=QALIGN_TINY,
            own_weights=True,
            scores_pretrained=True,
        ),
        Architecture(
            name="ma-agiqa",
            paper="Wang et al., Large Multi-modality Model Assisted AI-Generated Image Quality Assessment, ACM MM "
            "2024 (official code wangpuyi/MA-AGIQA): MANIQA + two cached LMM semantic features, adaptive fusion",
            build=_ma_agiqa,
            weight_name=lambda model: "vit-base-patch8-224-imagenet",
            defaults=MA_AGIQA_DEFAULTS,
            tiny=MA_AGIQA_TINY,
        ),
    )
}


def architecture(name: str) -> Architecture:
    if name not in ARCHITECTURES:
        raise IqaError(f"unknown architecture {name!r} (known: {', '.join(sorted(ARCHITECTURES))})")
    return ARCHITECTURES[name]


def zero_shot_problem(name: str, config: dict) -> str | None:
    """Why `config` of architecture `name` cannot score images without training, or None when it can: a prompt
    scorer on its pretrained weights, or any architecture whose "pretrained" names a whole official checkpoint."""
    arch = architecture(name)
    if isinstance(config["pretrained"], str) and arch.own_weights:
        return 'takes no official checkpoint: set "pretrained": true and name its model folder in model.weight'
    whole = isinstance(config["pretrained"], str)
    if not (arch.scores_pretrained or whole):
        return (f"must be trained first: its pretrained weights ({arch.weight_name(config['model'])}) hold only the "
                'backbone. Train it, then score its run zero-shot as run:<id>, or name a whole official checkpoint '
                'in "pretrained" (e.g. "hyperiqa-koniq10k")')
    if config["pretrained"] is False:
        return ('a zero-shot run scores with the pretrained weights: set "pretrained": true (a tiny test model '
                "needs its weights cached as well)")
    return None


def resolve_config(name: str, overrides: dict | None = None) -> dict:
    """The full configuration of a run: common defaults, the paper's, then `overrides` (a user's file)."""
    arch = architecture(name)
    overrides = dict(overrides or {})
    preset = overrides.pop("preset", "paper")
    if preset not in ("paper", "tiny"):
        raise IqaError(f'unknown preset {preset!r}: use "paper" (the default) or "tiny"')
    config = deep_merge(COMMON_DEFAULTS, arch.defaults)  # the empty "model" section takes the arch's whole
    if preset == "tiny":
        config = deep_merge(config, arch.tiny)
    config = deep_merge(config, overrides)
    return {"arch": name, "preset": preset, **config}


def paper_weight_missing(name: str) -> str | None:
    """What to place for the pretrained weight that architecture `name`'s paper configuration loads, or None when
    it is in place or the configuration loads none (weights.weight_missing: nothing is hashed)."""
    config = resolve_config(name)
    if not config.get("pretrained"):
        return None
    found = architecture(name)
    return weights.weight_missing(found.weight_name(config["model"]), folder=found.own_weights)


def build_model(name: str, config: dict) -> nn.Module:
    """The architecture with its pretrained backbone (`pretrained` true), randomly initialised (false), or whole
    from an official checkpoint (`pretrained` names its registered weight, e.g. "hyperiqa-koniq10k")."""
    arch = architecture(name)
    pretrained = config["pretrained"]
    if isinstance(pretrained, str) and arch.own_weights:
        raise IqaError(f'{name} takes no official checkpoint: set "pretrained" to true or false, and name its model '
                       "folder in model.weight")
    if arch.own_weights:
        return arch.build({**config["model"], "pretrained": pretrained})
    model = arch.build(config["model"])
    if isinstance(pretrained, str):
        official.load_official_state(model, weights.load_state_dict(pretrained), what=name)
    elif pretrained:
        model.load_pretrained(weights.load_state_dict(arch.weight_name(config["model"])))
    return model


def restore_model(config: dict, state: dict) -> nn.Module:
    """The model of a checkpoint's `state`: built without pretrained weights, as the checkpoint holds every tensor,
    except for architectures with `own_weights`, whose checkpoints hold only what training changed."""
    arch = architecture(config["arch"])
    model = build_model(config["arch"], {**config, "pretrained": config["pretrained"] and arch.own_weights})
    checkpoints.load_model_state(model, state)
    return model
