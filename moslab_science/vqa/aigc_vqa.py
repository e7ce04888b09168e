"""AIGC-VQA (Lu et al., NTIRE 2024 AIGC video quality track winner): three branches, each scoring one aspect
of a text-to-video clip, and the final score their sum.

- technical: fragments (moslab_science.vqa.fragments) through a Video Swin backbone with FAST-VQA's gated fragment
  bias; a two-layer head scores every spatio-temporal token and the scores are averaged: DOVER's technical branch,
  which loads DOVER's official checkpoint (model.technical.weight = "dover") or starts from Kinetics-400;
- aesthetic: by default an EfficientNet-Lite (moslab_science.iqa) on whole frames resized to a square; the per-frame
  scores of its multi-level linear head are averaged over time (equal to averaging the features: the head is
  linear). With ``backbone = "convnext3d"`` it is DOVER's aesthetic branch instead: the frames as one clip through
  ConvNeXt-3D tiny and the same two-layer token head as the technical branch, loading DOVER's official checkpoint;
- alignment: BLIP with the spatial-temporal adapter (moslab_science.vqa.alignment).
"""
import torch
from torch import nn

from moslab_science.iqa.architectures.effnet_lite_iqa import EffNetLiteIqa
from moslab_science.iqa.official import load_official_state
from moslab_science.vqa.alignment import AlignmentBranch
from moslab_science.vqa.config import DIMENSIONS
from moslab_science.vqa.convnext3d import ConvNeXt3D
from moslab_science.vqa.errors import VqaError
from moslab_science.vqa.swin3d import SwinTransformer3D

IGNORED_SWIN_KEYS = ("relative_position_index",)  # buffers the Kinetics file saves; computed here
KINETICS_PREFIX = "backbone."  # mmaction's Video Swin Kinetics-400 file
DOVER_PARTS = {"_backbone.": "backbone.", "_head.fc_hid.": "head.0.", "_head.fc_last.": "head.2."}  # DOVER.pth's


def dover_key(key: str, branch: str = "technical") -> str | None:
    """The name in TechnicalBranch (or DoverAestheticBranch, with branch="aesthetic") of a key of DOVER's official
    checkpoint; None for a key of its other branch."""
    for official, own in DOVER_PARTS.items():
        if key.startswith(branch + official):
            return own + key[len(branch + official):]
    return None


def _head_as_linear(name: str, value: torch.Tensor) -> torch.Tensor:
    """DOVER's head is two 1x1x1 convolutions; here the same maps are linear layers on channels-last features."""
    return value.flatten(1) if name.startswith("head.") and value.dim() == 5 else value


def dover_head(channels: int, hidden: int) -> nn.Sequential:
    """DOVER's VQAHead (1x1x1 convolutions fc_hid, GELU, fc_last) as linear layers on channels-last tokens."""
    return nn.Sequential(nn.Linear(channels, hidden), nn.GELU(), nn.Linear(hidden, 1))


class TechnicalBranch(nn.Module):
    def __init__(self, *, weight: str, patch: list, embed_dim: int, depths: list, heads: list, window: list,
                 frag_biases: list, head_hidden: int):
        super().__init__()
        self.backbone = SwinTransformer3D(patch=tuple(patch), embed_dim=embed_dim, depths=tuple(depths),
                                          heads=tuple(heads), window=tuple(window), frag_biases=tuple(frag_biases))
        self.head = dover_head(self.backbone.num_features, head_hidden)

    def forward(self, fragments: torch.Tensor) -> torch.Tensor:
        return self.score_map(fragments).flatten(1).mean(dim=1)

    def score_map(self, fragments: torch.Tensor) -> torch.Tensor:
        """(B, T', H', W'): the head's score of every spatio-temporal token (DOVER's map, whose mean is the score)."""
        return self.head(self.backbone(fragments)).squeeze(-1)

    def always_trainable(self) -> list[nn.Parameter]:
        return list(self.head.parameters())

    def load_pretrained(self, state: dict[str, torch.Tensor]) -> None:
        """DOVER's official checkpoint: the whole branch, strictly (its 1x1x1 convolution head as linear layers).
        A Kinetics-400 Video Swin file: the backbone, each fragment table starting as a copy of its relative
        position table, as DOVER's own loader does; the head stays new."""
        if any(key.startswith("technical_head.") for key in state):
            load_official_state(self, state, what="DOVER technical branch", official_key=dover_key,
                                reshape=_head_as_linear)
            return
        part = {key[len(KINETICS_PREFIX):]: value for key, value in state.items()
                if key.startswith(KINETICS_PREFIX) and not key.endswith(IGNORED_SWIN_KEYS)}
        part.update({key.replace("relative_position", "fragment_position"): value for key, value in part.items()
                     if key.endswith("relative_position_bias_table")
                     and key.replace("relative_position", "fragment_position") in self.backbone.state_dict()})
        missing, _ = self.backbone.load_state_dict(part, strict=False)
        if missing:
            raise VqaError(f"the Video Swin weight file does not fit model.technical: {len(missing)} tensors "
                           f"missing, e.g. {missing[:3]}")


class AestheticBranch(nn.Module):
    def __init__(self, *, backbone: str, weight: str | None, head_hidden: int, **effnet):
        super().__init__()
        self.net = EffNetLiteIqa(**effnet)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:  # (B, T, 3, S, S)
        return self.net(frames.flatten(0, 1)).view(frames.shape[:2]).mean(dim=1)

    def always_trainable(self) -> list[nn.Parameter]:
        return list(self.net.head.parameters())

    def load_pretrained(self, state: dict[str, torch.Tensor]) -> None:
        self.net.load_pretrained(state)


class DoverAestheticBranch(nn.Module):
    """DOVER's aesthetic branch: the clip (all frames, whole and resized) through ConvNeXt-3D tiny, the token head
    scoring every (T/2, H/32, W/32) position, the scores averaged. The EfficientNet keys of model.aesthetic are not
    used."""

    def __init__(self, *, backbone: str, weight: str | None, head_hidden: int, **effnet):
        super().__init__()
        self.backbone = ConvNeXt3D()
        self.head = dover_head(self.backbone.num_features, head_hidden)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:  # (B, T, 3, S, S)
        return self.score_map(frames.transpose(1, 2)).flatten(1).mean(dim=1)

    def score_map(self, clip: torch.Tensor) -> torch.Tensor:
        """(B, 3, T, S, S) -> (B, T/2, S/32, S/32): DOVER's aesthetic score map."""
        return self.head(self.backbone(clip)).squeeze(-1)

    def always_trainable(self) -> list[nn.Parameter]:
        return list(self.head.parameters())

    def load_pretrained(self, state: dict[str, torch.Tensor]) -> None:
        """DOVER's official checkpoint: its aesthetic branch, strictly (the head's 1x1x1 convolutions as linear)."""
        load_official_state(self, state, what="DOVER aesthetic branch",
                            official_key=lambda key: dover_key(key, "aesthetic"), reshape=_head_as_linear)


AESTHETIC_BACKBONES = {"efficientnet-lite": AestheticBranch, "convnext3d": DoverAestheticBranch}


class AigcVqa(nn.Module):
    uses_prompts = True
    branch_names = DIMENSIONS

    def __init__(self, *, technical: dict, aesthetic: dict, alignment: dict):
        super().__init__()
        self.technical = TechnicalBranch(**technical)
        if aesthetic["backbone"] not in AESTHETIC_BACKBONES:
            raise VqaError(f"model.aesthetic.backbone {aesthetic['backbone']!r}: use "
                           f"{' or '.join(AESTHETIC_BACKBONES)}")
        self.aesthetic = AESTHETIC_BACKBONES[aesthetic["backbone"]](**aesthetic)
        self.alignment = AlignmentBranch(**alignment)

    def forward(self, inputs: dict[str, torch.Tensor], prompts: list[str],
                branches: tuple[str, ...] = DIMENSIONS) -> dict[str, torch.Tensor]:
        """The score of each asked-for branch, (B,) each."""
        scores = {}
        if "technical" in branches:
            scores["technical"] = self.technical(inputs["fragments"])
        if "aesthetic" in branches:
            scores["aesthetic"] = self.aesthetic(inputs["aesthetic"])
        if "alignment" in branches:
            scores["alignment"] = self.alignment(inputs["alignment"], prompts)
        return scores

    def branch(self, name: str) -> nn.Module:
        return getattr(self, name)
