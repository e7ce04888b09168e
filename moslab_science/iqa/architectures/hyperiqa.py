"""HyperIQA (Su et al., CVPR 2020): a hyper network turns ResNet-50 semantics into the weights of a small
target network, which scores multi-scale local distortion features.

Names follow the official code (SSL92/hyperIQA, models.py: ``res``, ``conv1``, ``fc1w_conv`` ...), so its
released checkpoints load. The local-distortion-aware pooling there is fixed to 224-pixel patches (7x7 pools);
here the pool is the patch size / 32, which is the same for 224 and lets tiny test models use small patches.
The target network is applied with batched matrix products instead of grouped convolutions (same result).
"""
import torch
from torch import nn

from moslab_science.iqa.backbones.resnet import ResNetTrunk
from moslab_science.iqa.errors import IqaError, WeightError

LDA_CHANNELS = (16, 32, 64)  # 1x1-conv reductions of stages 1-3 before pooling (official values)
LDA_GRID = (8, 4, 2)  # pooled grid side of stages 1-3


class HyperResNet(ResNetTrunk):
    """The ResNet-50 trunk with the local distortion aware (LDA) branches on each stage."""

    def __init__(self, *, lda_out: int, target_in: int, pool: int, layers: tuple[int, ...], base_width: int):
        super().__init__(layers=layers, base_width=base_width)
        for index, (channels, grid) in enumerate(zip(LDA_CHANNELS, LDA_GRID, strict=True), start=1):
            pool_layers = nn.Sequential(nn.Conv2d(self.stage_channels[index - 1], channels, 1, bias=False),
                                        nn.AvgPool2d(pool, stride=pool))
            setattr(self, f"lda{index}_pool", pool_layers)
            setattr(self, f"lda{index}_fc", nn.Linear(channels * grid * grid, lda_out))
            nn.init.kaiming_normal_(pool_layers[0].weight)
            nn.init.kaiming_normal_(getattr(self, f"lda{index}_fc").weight)
        self.lda4_pool = nn.AvgPool2d(pool, stride=pool)
        self.lda4_fc = nn.Linear(self.stage_channels[3], target_in - lda_out * 3)
        nn.init.kaiming_normal_(self.lda4_fc.weight)

    def forward_lda(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        stages = super().forward(x)
        pools = (self.lda1_pool, self.lda2_pool, self.lda3_pool, self.lda4_pool)
        fcs = (self.lda1_fc, self.lda2_fc, self.lda3_fc, self.lda4_fc)
        vector = torch.cat([fc(pool(stage).flatten(1)) for stage, pool, fc in zip(stages, pools, fcs, strict=True)], 1)
        return stages[3], vector


class HyperIqa(nn.Module):
    def __init__(self, *, patch: int, lda_out: int, hyper_in: int, target_in: int, target_fc: tuple[int, ...],
                 layers: tuple[int, ...] = (3, 4, 6, 3), base_width: int = 64):
        super().__init__()
        if patch % 32:
            raise IqaError(f"HyperIQA needs a patch size divisible by 32, not {patch}")
        self.feature_size = patch // 32
        sizes = (target_in, *target_fc)
        cells = self.feature_size**2
        if any(a * b % cells for a, b in zip(sizes, sizes[1:], strict=False)):
            raise IqaError(f"each product of consecutive target sizes {sizes} must divide by {cells}")
        self.sizes = sizes
        self.hyper_in = hyper_in
        self.res = HyperResNet(lda_out=lda_out, target_in=target_in, pool=self.feature_size, layers=layers,
                               base_width=base_width)
        top = self.res.stage_channels[3]
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.conv1 = nn.Sequential(
            nn.Conv2d(top, top // 2, 1), nn.ReLU(inplace=True),
            nn.Conv2d(top // 2, top // 4, 1), nn.ReLU(inplace=True),
            nn.Conv2d(top // 4, hyper_in, 1), nn.ReLU(inplace=True),
        )
        for index, (size_in, size_out) in enumerate(zip(sizes, sizes[1:], strict=False), start=1):
            setattr(self, f"fc{index}w_conv", nn.Conv2d(hyper_in, size_in * size_out // cells, 3, padding=1))
            setattr(self, f"fc{index}b_fc", nn.Linear(hyper_in, size_out))
        last = len(sizes)
        setattr(self, f"fc{last}w_fc", nn.Linear(hyper_in, sizes[-1]))
        setattr(self, f"fc{last}b_fc", nn.Linear(hyper_in, 1))
        for name, module in self.named_children():
            if name.startswith("fc"):
                nn.init.kaiming_normal_(module.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        top, q = self.res.forward_lda(x)
        hyper = self.conv1(top)
        pooled = self.pool(hyper).flatten(1)
        batch = x.shape[0]
        for index, (size_in, size_out) in enumerate(zip(self.sizes, self.sizes[1:], strict=False), start=1):
            weight = getattr(self, f"fc{index}w_conv")(hyper).reshape(batch, size_out, size_in)
            bias = getattr(self, f"fc{index}b_fc")(pooled)
            q = torch.sigmoid(torch.bmm(weight, q.unsqueeze(2)).squeeze(2) + bias)
        last = len(self.sizes)
        weight = getattr(self, f"fc{last}w_fc")(pooled)
        return (weight * q).sum(1) + getattr(self, f"fc{last}b_fc")(pooled).squeeze(1)

    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        """The paper's two rates: the ResNet (LDA branches included, as in the official solver) and the hyper
        network."""
        backbone = {id(p) for p in self.res.parameters()}
        head = [p for p in self.parameters() if id(p) not in backbone]
        return {"backbone": list(self.res.parameters()), "head": head}

    def load_pretrained(self, state: dict[str, torch.Tensor]) -> None:
        """ImageNet ResNet-50 weights into the trunk (its classifier is dropped; the LDA branches stay new)."""
        trunk = {key: value for key, value in state.items() if not key.startswith("fc.")}
        missing, unexpected = self.res.load_state_dict(trunk, strict=False)
        missing = [key for key in missing if not key.startswith("lda")]
        if missing or unexpected:
            raise WeightError(
                f"the ResNet-50 weight file does not match the trunk: missing {missing[:3]}, "
                f"unexpected {unexpected[:3]}"
            )
