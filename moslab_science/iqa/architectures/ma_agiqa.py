"""MA-AGIQA (Wang et al., Large Multi-modality Model Assisted AI-Generated Image Quality Assessment, ACM MM 2024,
official code wangpuyi/MA-AGIQA): MANIQA's quality-aware feature fused with two semantic features of a large
multimodal model (LMM), by an adaptive fusion module.

- quality feature: MANIQA's per-token score x weight (one value per token of its side x side grid, 784 at 224 px),
  the vector whose weighted mean is MANIQA's own score;
- semantic features: the LMM's last hidden layer, averaged over tokens, after each of the paper's two prompts
  (`QUESTIONS`), computed once per image and cached (moslab_science/iqa/lmm_features.py); training never runs the LMM;
- fusion: each feature projected to `hidden` (the quality one by a linear layer, the semantic ones by linear + ReLU
  + dropout, as released), a sigmoid gate on the concatenated projections gives one weight per feature, and a
  linear regressor scores their weighted sum.

The model takes each sample's image name (``uses_names``) to find its cached features; ``prepare`` fills them.
"""
from pathlib import Path

import torch
from torch import nn

from moslab_science.iqa.architectures.maniqa import Maniqa
from moslab_science.iqa.errors import IqaError
from moslab_science.iqa.lmm_features import FeatureCache, FeatureSource

QUESTIONS = (
    "Evaluate the input image to determine if its quality is compromised due to a lack of meaningful semantic "
    "content.",
    "Evaluate if the image quality is compromised due to violations of coherence.",
)


class AdaptiveFusion(nn.Module):
    """Projections of K features to a common width, a sigmoid gate with one weight per feature, their weighted sum
    and a linear regressor. The first feature (MANIQA's) gets a plain linear projection."""

    def __init__(self, dims: list[int], *, hidden: int, drop: float):
        super().__init__()
        self.projections = nn.ModuleList(
            [nn.Linear(dims[0], hidden)]
            + [nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Dropout(drop)) for dim in dims[1:]]
        )
        self.gate = nn.Linear(hidden * len(dims), len(dims))
        self.regressor = nn.Linear(hidden, 1)

    def forward(self, features: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """(scores (batch,), gate weights (batch, K))."""
        projected = [projection(feature) for projection, feature in zip(self.projections, features, strict=True)]
        weights = torch.sigmoid(self.gate(torch.cat(projected, dim=1)))
        fused = torch.einsum("bk,bkh->bh", weights, torch.stack(projected, dim=1))
        return self.regressor(fused).squeeze(1), weights


class MaAgiqa(nn.Module):
    uses_names = True  # forward(x, names): the image names whose cached LMM features join the views

    def __init__(self, *, maniqa: dict, lmm: dict, hidden: int, drop: float):
        super().__init__()
        self.maniqa = Maniqa(**maniqa)
        tokens = (maniqa["image"] // maniqa["patch"]) ** 2
        self.lmm_size = lmm["hidden_size"]
        self.fusion = AdaptiveFusion([tokens] + [self.lmm_size] * len(QUESTIONS), hidden=hidden, drop=drop)
        self.source = FeatureSource(weight=lmm["weight"], template=lmm["template"], dtype=lmm["dtype"],
                                    seed=lmm["seed"], vision=lmm["vision"], text=lmm["text"])
        self.semantic: dict[str, torch.Tensor] = {}  # image name -> (2, lmm_size); not part of the state dict

    def prepare(self, *, images: Path, names: list[str], cache: Path, device: torch.device) -> FeatureCache:
        """Read (or compute once and cache) the LMM features of `names`; returns the cache with its counts."""
        features = FeatureCache(cache, self.source, QUESTIONS, device=device)
        found = features.features(images, names)
        sizes = {tensor.shape[-1] for tensor in found.values()}
        if sizes - {self.lmm_size}:
            raise IqaError(f"the LMM's hidden size is {sorted(sizes)}, not model.lmm.hidden_size {self.lmm_size}: "
                           "set model.lmm.hidden_size to the LMM's")
        self.semantic.update(found)
        return features

    def forward(self, x: torch.Tensor, names: list[str]) -> torch.Tensor:
        missing = [name for name in names if name not in self.semantic]
        if missing:
            raise IqaError(f"no LMM features for {missing[:3]}: prepare() the images before scoring them")
        semantic = torch.stack([self.semantic[name] for name in names]).to(x.device, x.dtype)
        score, weight = self.maniqa.token_scores(x)
        return self.fusion([score * weight, *semantic.unbind(dim=1)])[0]

    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        maniqa = self.maniqa.parameter_groups()
        return {"backbone": maniqa["backbone"],
                "head": maniqa["head"] + [p for p in self.fusion.parameters() if p.requires_grad]}

    def load_pretrained(self, state: dict[str, torch.Tensor]) -> None:
        """timm's ViT weights into MANIQA's ViT (the LMM is read when features are computed)."""
        self.maniqa.load_pretrained(state)
