"""ConvNeXt-3D: DOVER's aesthetic backbone (VQAssessment/DOVER ``ConvNeXt3D``, "tiny": depths 3-3-9-3, widths
96-192-384-768), ConvNeXt (Liu et al., CVPR 2022) inflated over time.

A 2x4x4 stem convolution, then four stages of blocks: a depth-wise (k, 7, 7) convolution whose temporal length k
follows ``inflate`` cyclically ("131": 1, 3, 1, 1, 3, 1, ...), LayerNorm, a 4x wider two-layer MLP with GELU, a
per-channel layer scale (``gamma``) and a residual. Between stages a channels-first LayerNorm and a 1x2x2 strided
convolution halve H and W (time is kept). A final LayerNorm normalises every token. LayerNorm eps is 1e-6 throughout.
Parameter names are the official ones (``downsample_layers``, ``stages``, ``norm``), so DOVER's checkpoint loads
strictly; equality with the official forward pass is tested in tests/modeling/equivalence/test_dover_aesthetic.py.
"""
import torch
from torch import nn

EPS = 1e-6


class ChannelsFirstLayerNorm(nn.Module):
    """LayerNorm over dim 1 of (B, C, T, H, W), computed as the official code does (mean, biased variance)."""

    def __init__(self, dim: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(1, keepdim=True)
        variance = (x - mean).pow(2).mean(1, keepdim=True)
        x = (x - mean) / torch.sqrt(variance + EPS)
        return self.weight[:, None, None, None] * x + self.bias[:, None, None, None]


class Block3D(nn.Module):
    def __init__(self, dim: int, *, temporal_kernel: int):
        super().__init__()
        self.dwconv = nn.Conv3d(dim, dim, kernel_size=(temporal_kernel, 7, 7), padding=(temporal_kernel // 2, 3, 3),
                                groups=dim)
        self.norm = nn.LayerNorm(dim, eps=EPS)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(torch.full((dim,), 1e-6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.norm(self.dwconv(x).permute(0, 2, 3, 4, 1))
        hidden = self.gamma * self.pwconv2(self.act(self.pwconv1(hidden)))
        return x + hidden.permute(0, 4, 1, 2, 3)


class ConvNeXt3D(nn.Module):
    def __init__(self, *, depths: tuple[int, ...] = (3, 3, 9, 3), dims: tuple[int, ...] = (96, 192, 384, 768),
                 inflate: str = "131"):
        super().__init__()
        self.downsample_layers = nn.ModuleList([nn.Sequential(
            nn.Conv3d(3, dims[0], kernel_size=(2, 4, 4), stride=(2, 4, 4)), ChannelsFirstLayerNorm(dims[0]))])
        self.downsample_layers.extend(nn.Sequential(
            ChannelsFirstLayerNorm(dims[i]), nn.Conv3d(dims[i], dims[i + 1], kernel_size=(1, 2, 2), stride=(1, 2, 2)))
            for i in range(len(dims) - 1))
        self.stages = nn.ModuleList(
            nn.Sequential(*[Block3D(dim, temporal_kernel=int(inflate[j % len(inflate)])) for j in range(depth)])
            for depth, dim in zip(depths, dims, strict=True))
        self.norm = nn.LayerNorm(dims[-1], eps=EPS)
        self.num_features = dims[-1]

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        """(B, 3, T, H, W) -> (B, T/2, H/32, W/32, C) normalised tokens, channels last."""
        x = clip
        for downsample, stage in zip(self.downsample_layers, self.stages, strict=True):
            x = stage(downsample(x))
        return self.norm(x.permute(0, 2, 3, 4, 1))
