"""AIGC-VQA (Lu et al., NTIRE 2024 AIGC video quality track winner): three branches, each scoring one aspect
of a text-to-video clip, and the final score their sum.

- technical: fragments (moslab_science.vqa.fragments) through a Video Swin backbone; a two-layer head scores every
  spatio-temporal token and the scores are averaged (DOVER's technical head);
- aesthetic: an EfficientNet-Lite (moslab_science.iqa) on whole frames resized to a square; the per-frame scores of
  its multi-level linear head are averaged over time (equal to averaging the features: the head is linear);
- alignment: BLIP with the spatial-temporal adapter (moslab_science.vqa.alignment).
"""
import torch
from torch import nn

from moslab_science.iqa.architectures.effnet_lite_iqa import EffNetLiteIqa
from moslab_science.vqa.alignment import AlignmentBranch
from moslab_science.vqa.config import DIMENSIONS
from moslab_science.vqa.errors import VqaError
from moslab_science.vqa.swin3d import SwinTransformer3D

IGNORED_SWIN_KEYS = ("relative_position_index",)  # buffers the official files save; rebuilt here
SWIN_PREFIXES = ("backbone.", "technical_backbone.")  # mmaction's Kinetics file, DOVER's file


class TechnicalBranch(nn.Module):
    def __init__(self, *, weight: str, patch: list, embed_dim: int, depths: list, heads: list, window: list,
                 head_hidden: int):
        super().__init__()
        self.backbone = SwinTransformer3D(patch=tuple(patch), embed_dim=embed_dim, depths=tuple(depths),
                                          heads=tuple(heads), window=tuple(window))
        self.head = nn.Sequential(nn.Linear(self.backbone.num_features, head_hidden), nn.GELU(),
                                  nn.Linear(head_hidden, 1))

    def forward(self, fragments: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(fragments)).flatten(1).mean(dim=1)

    def always_trainable(self) -> list[nn.Parameter]:
        return list(self.head.parameters())

    def load_pretrained(self, state: dict[str, torch.Tensor]) -> None:
        prefix = next((p for p in SWIN_PREFIXES if any(key.startswith(p) for key in state)), "")
        part = {key[len(prefix):]: value for key, value in state.items()
                if key.startswith(prefix) and not key.endswith(IGNORED_SWIN_KEYS)}
        missing, _ = self.backbone.load_state_dict(part, strict=False)
        if missing:
            raise VqaError(f"the Video Swin weight file does not fit model.technical: {len(missing)} tensors "
                           f"missing, e.g. {missing[:3]}")


class AestheticBranch(nn.Module):
    def __init__(self, **effnet):
        super().__init__()
        self.net = EffNetLiteIqa(**effnet)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:  # (B, T, 3, S, S)
        return self.net(frames.flatten(0, 1)).view(frames.shape[:2]).mean(dim=1)

    def always_trainable(self) -> list[nn.Parameter]:
        return list(self.net.head.parameters())

    def load_pretrained(self, state: dict[str, torch.Tensor]) -> None:
        self.net.load_pretrained(state)


class AigcVqa(nn.Module):
    uses_prompts = True
    branch_names = DIMENSIONS

    def __init__(self, *, technical: dict, aesthetic: dict, alignment: dict):
        super().__init__()
        self.technical = TechnicalBranch(**technical)
        self.aesthetic = AestheticBranch(**aesthetic)
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
