"""The spatial-temporal adapter of AIGC-VQA's alignment branch: the ST-Adapter of Pan et al. (NeurIPS 2022,
official code linziyi96/st-adapter): a linear down-projection (``fc1``), a depth-wise 3D convolution over the
(T, H, W) grid of the frames' patch tokens (``conv``), a linear up-projection (``fc2``), added to the tokens. There
is no activation between them, as in the official ``Adapter``. Parameter names, initialisation and forward pass are
the official ones, proven equal in tests/modeling/equivalence/test_st_adapter.py.

The convolution and the biases start at zero, so an untrained adapter is the identity and the pretrained
image-text model is unchanged until the adapter learns something. Class tokens skip the adapter (they have no
position).
"""
import torch
from torch import nn


class SpatialTemporalAdapter(nn.Module):
    def __init__(self, dim: int, *, bottleneck: int, kernel: tuple[int, int, int] = (3, 3, 3)):
        super().__init__()
        self.fc1 = nn.Linear(dim, bottleneck)
        self.conv = nn.Conv3d(bottleneck, bottleneck, kernel_size=kernel, padding=tuple(k // 2 for k in kernel),
                              groups=bottleneck)
        self.fc2 = nn.Linear(bottleneck, dim)
        for zero in (self.conv.weight, self.conv.bias, self.fc1.bias, self.fc2.bias):
            nn.init.zeros_(zero)

    def forward(self, tokens: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
        """(B, T, 1 + H*W, C) frame tokens (class token first) -> the same shape."""
        batch, frames, count, dim = tokens.shape
        height, width = grid
        patches = tokens[:, :, 1:]
        hidden = self.fc1(patches).view(batch, frames, height, width, -1).permute(0, 4, 1, 2, 3)
        hidden = self.conv(hidden).permute(0, 2, 3, 4, 1).reshape(batch, frames, height * width, -1)
        return torch.cat([tokens[:, :, :1], patches + self.fc2(hidden)], dim=2)
