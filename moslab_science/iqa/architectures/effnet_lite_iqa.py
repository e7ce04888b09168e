"""EfficientNet-Lite IQA baseline: ImageNet EfficientNet-Lite, pooled features of every stage, one linear layer.

Low-level stages carry the distortion cues (noise, blur, blockiness) and the head the content, so the
regressor sees the global average of each stage's output concatenated (a multi-level pooling as in
BIQ2021's deep baselines and the frozen-feature probe of ../shared/data/README.md).
"""
import torch
from torch import nn

from moslab_science.iqa.backbones.efficientnet_lite import EfficientNetLite
from moslab_science.iqa.errors import WeightError


class EffNetLiteIqa(nn.Module):
    """The stem and the first `frozen_blocks` blocks stay as pretrained (no gradient, ImageNet batch-norm
    statistics); with `frozen_bn` every batch norm keeps its ImageNet statistics. The classifier is unused."""

    def __init__(self, *, variant: str, frozen_blocks: int, dropout: float, frozen_bn: bool = False,
                 width_scale: float = 1.0, depth_cap: int | None = None):
        super().__init__()
        self.backbone = EfficientNetLite(variant, width_scale=width_scale, depth_cap=depth_cap)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(sum(self.backbone.stage_channels), 1)
        stem = [self.backbone._conv_stem, self.backbone._bn0] if frozen_blocks else []
        self.frozen = [*stem, *list(self.backbone._blocks)[:frozen_blocks]]
        if frozen_bn:  # small batches: keep every batch norm on its ImageNet statistics
            self.frozen += [module for module in self.backbone.modules() if isinstance(module, nn.BatchNorm2d)]
        for module in [*self.frozen, self.backbone._fc]:
            module.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = torch.cat(self.backbone.stage_features(x), dim=1)
        return self.head(self.dropout(features)).squeeze(1)

    def train(self, mode: bool = True):
        super().train(mode)
        for module in self.frozen:
            module.train(False)
        return self

    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        return {
            "backbone": [p for p in self.backbone.parameters() if p.requires_grad],
            "head": list(self.head.parameters()),
        }

    def load_pretrained(self, state: dict[str, torch.Tensor]) -> None:
        missing, _ = self.backbone.load_state_dict(state, strict=False)
        if missing:
            raise WeightError(f"the EfficientNet-Lite weight file lacks {len(missing)} tensors, e.g. {missing[:3]}")
