"""A compact Video Swin Transformer (Liu et al., CVPR 2022): 3D patch embedding, then stages of windowed
self-attention over (T, H, W) with relative position bias, every second block shifted by half a window,
and patch merging between stages.

Parameter names follow the official SwinTransformer/Video-Swin-Transformer code (``patch_embed.proj``,
``layers.N.blocks.M.attn.relative_position_bias_table``, ``layers.N.downsample.reduction`` ...), so its
Kinetics-400 Swin-T file (the backbone DOVER's technical branch starts from) loads with ``backbone.`` removed.

FAST-VQA's gated relative position bias (GRPB, the ``swin_tiny_grpb`` backbone of DOVER's technical branch) is
on in the stages `frag_biases` names: such a stage has a second table, ``fragment_position_bias_table``, and each
pair of tokens in a window gets ``relative x gate + fragment x (1 - gate)``, where the gate is the L1 distance
between the two tokens' cells in a (window height x window width) grid of fragments stretched over the feature map
(0 inside one fragment). The gate is not clipped to 1: the official code adds the tables that way, and DOVER's
checkpoints were trained with it (tests/modeling/equivalence check the forward pass against that code).
"""
import math
from functools import reduce
from operator import mul

import torch
from torch import nn
from torch.nn import functional as F

from moslab_science.vqa.errors import VqaError


def window_size_for(size: tuple[int, ...], window: tuple[int, ...], shift: tuple[int, ...]):
    """The official clipping: an axis no longer than the window gets one window and no shift."""
    use_window, use_shift = list(window), list(shift)
    for axis in range(3):
        if size[axis] <= window[axis]:
            use_window[axis], use_shift[axis] = size[axis], 0
    return tuple(use_window), tuple(use_shift)


def window_partition(x: torch.Tensor, window: tuple[int, int, int]) -> torch.Tensor:
    """(B, D, H, W, C) -> (B * windows, tokens per window, C)."""
    b, d, h, w, c = x.shape
    x = x.view(b, d // window[0], window[0], h // window[1], window[1], w // window[2], window[2], c)
    return x.permute(0, 1, 3, 5, 2, 4, 6, 7).reshape(-1, reduce(mul, window), c)


def window_reverse(windows: torch.Tensor, window: tuple[int, int, int], b: int, d: int, h: int, w: int):
    x = windows.view(b, d // window[0], h // window[1], w // window[2], window[0], window[1], window[2], -1)
    return x.permute(0, 1, 4, 2, 5, 3, 6, 7).reshape(b, d, h, w, -1)


def shift_mask(d: int, h: int, w: int, window, shift, device) -> torch.Tensor:
    """(windows, N, N): 0 between tokens of the same region of the shifted layout, -100 across regions."""
    regions = torch.zeros((1, d, h, w, 1), device=device)
    count = 0
    for ds in (slice(-window[0]), slice(-window[0], -shift[0]), slice(-shift[0], None)):
        for hs in (slice(-window[1]), slice(-window[1], -shift[1]), slice(-shift[1], None)):
            for ws in (slice(-window[2]), slice(-window[2], -shift[2]), slice(-shift[2], None)):
                regions[:, ds, hs, ws, :] = count
                count += 1
    labels = window_partition(regions, window).squeeze(-1)
    mask = labels.unsqueeze(1) - labels.unsqueeze(2)
    return mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


def fragment_gate(d: int, h: int, w: int, window, shift, device) -> torch.Tensor:
    """(windows, N, N): the L1 distance between two tokens' fragment cells, FAST-VQA's GRPB gate. The cells are a
    1 x window-height x window-width grid stretched (nearest) over the padded (d, h, w) map, shifted as the
    tokens are."""
    cells = (1, window[1], window[2])
    axes = [F.interpolate(torch.arange(count, dtype=torch.float32, device=device).view(1, 1, -1), size=size,
                          mode="nearest").long().view(-1) for count, size in zip(cells, (d, h, w), strict=True)]
    grid = torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1).unsqueeze(0)  # (1, d, h, w, 3)
    grid = torch.roll(grid, shifts=[-s for s in shift], dims=(1, 2, 3))
    coords = window_partition(grid.float(), window)  # (windows, N, 3), small integers: exact in float32
    return sum((coords[:, None, :, axis] - coords[:, :, None, axis]).abs() for axis in range(3))


class WindowAttention3D(nn.Module):
    def __init__(self, dim: int, window: tuple[int, int, int], heads: int, frag_bias: bool = False):
        super().__init__()
        self.heads = heads
        wd, wh, ww = window
        table_size = (2 * wd - 1) * (2 * wh - 1) * (2 * ww - 1)
        self.relative_position_bias_table = nn.Parameter(torch.zeros(table_size, heads))
        self.fragment_position_bias_table = nn.Parameter(torch.zeros(table_size, heads)) if frag_bias else None
        coords = torch.stack(torch.meshgrid(torch.arange(wd), torch.arange(wh), torch.arange(ww), indexing="ij"))
        coords = coords.flatten(1)
        relative = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)
        relative += torch.tensor([wd - 1, wh - 1, ww - 1])
        relative *= torch.tensor([(2 * wh - 1) * (2 * ww - 1), 2 * ww - 1, 1])
        self.register_buffer("relative_position_index", relative.sum(-1), persistent=False)
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None, gate: torch.Tensor | None) -> torch.Tensor:
        """`mask` (windows, N, N) for shifted windows or None; `gate` (windows, N, N) from fragment_gate, needed
        when the layer has the fragment table."""
        batch, tokens, dim = x.shape
        q, k, v = self.qkv(x).reshape(batch, tokens, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        bias = self._table_bias(self.relative_position_bias_table, tokens).unsqueeze(0)  # (1, heads, N, N)
        if self.fragment_position_bias_table is not None:
            fragment = self._table_bias(self.fragment_position_bias_table, tokens).unsqueeze(0)
            gate = gate.unsqueeze(1)
            bias = bias * gate + fragment * (1 - gate)  # (windows, heads, N, N)
        if mask is not None:
            bias = bias + mask.unsqueeze(1)
        windows = bias.shape[0]  # windows are ordered batch-major: bias i belongs to window i % windows
        bias = bias.to(q.dtype).unsqueeze(0).expand(batch // windows, -1, -1, -1, -1)
        bias = bias.reshape(-1, self.heads, tokens, tokens)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        return self.proj(out.transpose(1, 2).reshape(batch, tokens, dim))

    def _table_bias(self, table: nn.Parameter, tokens: int) -> torch.Tensor:
        index = self.relative_position_index[:tokens, :tokens].reshape(-1)
        return table[index].reshape(tokens, tokens, -1).permute(2, 0, 1)


class SwinTransformerBlock3D(nn.Module):
    def __init__(self, dim: int, heads: int, window: tuple[int, int, int], shift: tuple[int, int, int],
                 mlp_ratio: float, frag_bias: bool):
        super().__init__()
        self.window, self.shift = window, shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention3D(dim, window, heads, frag_bias)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """`mask`: the layer's shifted-window mask, used by the shifted blocks only."""
        b, d, h, w, _ = x.shape
        window, shift = window_size_for((d, h, w), self.window, self.shift)
        y = self.norm1(x)
        pads = [(-size) % win for size, win in zip((d, h, w), window, strict=True)]
        y = F.pad(y, (0, 0, 0, pads[2], 0, pads[1], 0, pads[0]))
        dp, hp, wp = y.shape[1:4]
        if any(shift):
            y = torch.roll(y, shifts=[-s for s in shift], dims=(1, 2, 3))
        gated = self.attn.fragment_position_bias_table is not None
        gate = fragment_gate(dp, hp, wp, window, shift, x.device) if gated else None
        y = self.attn(window_partition(y, window), mask if any(shift) else None, gate)
        y = window_reverse(y, window, b, dp, hp, wp)
        if any(shift):
            y = torch.roll(y, shifts=list(shift), dims=(1, 2, 3))
        x = x + y[:, :d, :h, :w].contiguous()
        return x + self.mlp(self.norm2(x))


class PatchMerging(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, D, H, W, C) -> (B, D, H/2, W/2, 2C)
        x = F.pad(x, (0, 0, 0, x.shape[3] % 2, 0, x.shape[2] % 2))
        x = torch.cat([x[:, :, 0::2, 0::2], x[:, :, 1::2, 0::2], x[:, :, 0::2, 1::2], x[:, :, 1::2, 1::2]], -1)
        return self.reduction(self.norm(x))


class BasicLayer(nn.Module):
    def __init__(self, dim: int, depth: int, heads: int, window: tuple[int, int, int], mlp_ratio: float,
                 downsample: bool, frag_bias: bool):
        super().__init__()
        self.window, self.shift = window, tuple(size // 2 for size in window)
        self.blocks = nn.ModuleList([
            SwinTransformerBlock3D(dim, heads, window, (0, 0, 0) if index % 2 == 0 else self.shift, mlp_ratio,
                                   frag_bias)
            for index in range(depth)])
        self.downsample = PatchMerging(dim) if downsample else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, D, H, W)
        _, _, d, h, w = x.shape
        window, shift = window_size_for((d, h, w), self.window, self.shift)
        x = x.permute(0, 2, 3, 4, 1)
        padded = [math.ceil(size / win) * win for size, win in zip((d, h, w), window, strict=True)]
        mask = shift_mask(*padded, window, shift, x.device) if any(shift) else None
        for block in self.blocks:
            x = block(x, mask)
        if self.downsample is not None:
            x = self.downsample(x)
        return x.permute(0, 4, 1, 2, 3)


class PatchEmbed3D(nn.Module):
    def __init__(self, patch: tuple[int, int, int], dim: int):
        super().__init__()
        self.patch = patch
        self.proj = nn.Conv3d(3, dim, kernel_size=patch, stride=patch)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 3, T, H, W) -> (B, C, T', H', W')
        d, h, w = x.shape[2:]
        x = F.pad(x, (0, (-w) % self.patch[2], 0, (-h) % self.patch[1], 0, (-d) % self.patch[0]))
        x = self.proj(x)
        return self.norm(x.permute(0, 2, 3, 4, 1)).permute(0, 4, 1, 2, 3)


class SwinTransformer3D(nn.Module):
    """Defaults: Video Swin-T (patch 2x4x4, width 96, depths 2-2-6-2, heads 3-6-12-24, window 8x7x7) with
    FAST-VQA's gated fragment bias in every stage but the last (`frag_biases`), DOVER's technical backbone."""

    def __init__(self, *, patch=(2, 4, 4), embed_dim: int = 96, depths=(2, 2, 6, 2), heads=(3, 6, 12, 24),
                 window=(8, 7, 7), mlp_ratio: float = 4.0, frag_biases: tuple[bool, ...] | None = None):
        super().__init__()
        frag_biases = tuple(index < len(depths) - 1 for index in range(len(depths))) if frag_biases is None \
            else frag_biases
        if len(frag_biases) != len(depths):
            raise VqaError(f"model.technical.frag_biases {list(frag_biases)} needs one entry per stage of "
                           f"model.technical.depths {list(depths)}")
        self.patch_embed = PatchEmbed3D(tuple(patch), embed_dim)
        self.layers = nn.ModuleList([
            BasicLayer(embed_dim * 2**index, depth, heads[index], tuple(window), mlp_ratio,
                       downsample=index < len(depths) - 1, frag_bias=bool(frag_biases[index]))
            for index, depth in enumerate(depths)])
        self.num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = nn.LayerNorm(self.num_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, T, H, W) -> (B, T', H', W', C) normalised features."""
        x = self.patch_embed(x)
        for layer in self.layers:
            x = layer(x)
        return self.norm(x.permute(0, 2, 3, 4, 1))
