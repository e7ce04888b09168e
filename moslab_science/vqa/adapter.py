"""The spatial-temporal adapter of AIGC-VQA's alignment branch: down-projection, a depth-wise 3D convolution
over the (T, H, W) grid of the frames' patch tokens, up-projection, and a residual connection.

The up-projection starts at zero, so an untrained adapter is the identity and the pretrained image-text model
is unchanged until the adapter learns something. Class tokens skip the convolution (they have no position).
"""
import torch
from torch import nn


class SpatialTemporalAdapter(nn.Module):
    def __init__(self, dim: int, *, bottleneck: int, kernel: tuple[int, int, int] = (3, 3, 3)):
        super().__init__()
        self.down = nn.Linear(dim, bottleneck)
        self.act = nn.GELU()
        self.conv = nn.Conv3d(bottleneck, bottleneck, kernel_size=kernel, padding=tuple(k // 2 for k in kernel),
                              groups=bottleneck)
        self.up = nn.Linear(bottleneck, dim)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, tokens: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
        """(B, T, 1 + H*W, C) frame tokens (class token first) -> the same shape."""
        batch, frames, count, dim = tokens.shape
        height, width = grid
        patches = tokens[:, :, 1:]
        hidden = self.act(self.down(patches))  # (B, T, HW, r)
        hidden = hidden.view(batch, frames, height, width, -1).permute(0, 4, 1, 2, 3)
        hidden = self.act(self.conv(hidden)).permute(0, 2, 3, 4, 1).reshape(batch, frames, height * width, -1)
        return torch.cat([tokens[:, :, :1], patches + self.up(hidden)], dim=2)
