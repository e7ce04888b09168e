"""MANIQA (Yang et al., CVPR Workshops 2022, NTIRE 2022 NR-IQA winner): ViT features from four blocks,
transposed (channel) attention, Swin blocks, and a per-token score branch weighted by a per-token weight branch.

Parameter names follow the official code (IIGROUP/MANIQA, models/maniqa.py and models/swin.py: ``vit``,
``tablock1``, ``conv1``, ``swintransformer1.layers.N.blocks.M`` ...), so its checkpoints load; the forward pass
matches that code's outputs (tests/modeling/equivalence). Two quirks of that code are kept because its
checkpoints depend on them: the transposed attention reshapes (B, C, N) after a transpose, and each Swin layer's
output is added to its input times ``scale`` (0.8). Its unused ``downsample`` convolution is kept frozen for the
same reason.
"""
import torch
from torch import nn
from torch.nn import functional as F

from moslab_science.iqa.backbones.vit import Mlp, VisionTransformer
from moslab_science.iqa.errors import IqaError, WeightError

FEATURE_BLOCKS = (6, 7, 8, 9)  # ViT blocks whose patch tokens are concatenated


class TABlock(nn.Module):
    """Attention across channels: queries, keys and values are linear maps of each channel's N tokens."""

    def __init__(self, tokens: int, drop: float = 0.1):
        super().__init__()
        self.c_q = nn.Linear(tokens, tokens)
        self.c_k = nn.Linear(tokens, tokens)
        self.c_v = nn.Linear(tokens, tokens)
        self.norm_fact = tokens**-0.5
        self.proj_drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, channels, tokens = x.shape
        attn = (self.c_q(x) @ self.c_k(x).transpose(-2, -1) * self.norm_fact).softmax(dim=-1)
        out = (attn @ self.c_v(x)).transpose(1, 2).reshape(batch, channels, tokens)
        return self.proj_drop(out) + x


class DropPath(nn.Module):
    """Stochastic depth: drop the residual branch per sample during training."""

    def __init__(self, rate: float):
        super().__init__()
        self.rate = rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0:
            return x
        keep = torch.rand(x.shape[0], *([1] * (x.dim() - 1)), device=x.device) >= self.rate
        return x * keep / (1 - self.rate)


class WindowAttention(nn.Module):
    def __init__(self, dim: int, window: int, heads: int):
        super().__init__()
        self.heads = heads
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")).flatten(1)
        relative = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (window - 1)
        self.register_buffer("relative_position_index", relative[:, :, 0] * (2 * window - 1) + relative[:, :, 1])
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        windows, tokens, dim = x.shape
        q, k, v = self.qkv(x).reshape(windows, tokens, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        attn = q * (dim // self.heads) ** -0.5 @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(tokens, tokens, -1)
        attn = attn + bias.permute(2, 0, 1).unsqueeze(0)
        if mask is not None:
            attn = attn.view(-1, mask.shape[0], self.heads, tokens, tokens) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.heads, tokens, tokens)
        return self.proj((attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(windows, tokens, dim))


class SwinBlock(nn.Module):
    def __init__(self, *, dim: int, side: int, heads: int, window: int, shift: int, dim_mlp: int, drop_path: float):
        super().__init__()
        self.side, self.window = side, min(window, side)
        self.shift = 0 if side <= window else shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, self.window, heads)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, dim_mlp)
        self.register_buffer("attn_mask", self._shift_mask() if self.shift else None)

    def _shift_mask(self) -> torch.Tensor:
        regions = torch.zeros(1, self.side, self.side, 1)
        cuts = (slice(0, -self.window), slice(-self.window, -self.shift), slice(-self.shift, None))
        for label, (rows, columns) in enumerate((r, c) for r in cuts for c in cuts):
            regions[:, rows, columns, :] = label
        windows = self._partition(regions).squeeze(-1)
        mask = windows.unsqueeze(1) - windows.unsqueeze(2)
        return mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)

    def _partition(self, x: torch.Tensor) -> torch.Tensor:
        batch, side, _, dim = x.shape
        per = side // self.window
        x = x.view(batch, per, self.window, per, self.window, dim).permute(0, 1, 3, 2, 4, 5)
        return x.reshape(-1, self.window * self.window, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, _, dim = x.shape
        grid = self.norm1(x).view(batch, self.side, self.side, dim)
        if self.shift:
            grid = torch.roll(grid, shifts=(-self.shift, -self.shift), dims=(1, 2))
        windows = self.attn(self._partition(grid), self.attn_mask)
        per = self.side // self.window
        grid = windows.view(batch, per, per, self.window, self.window, dim).permute(0, 1, 3, 2, 4, 5)
        grid = grid.reshape(batch, self.side, self.side, dim)
        if self.shift:
            grid = torch.roll(grid, shifts=(self.shift, self.shift), dims=(1, 2))
        x = x + self.drop_path(grid.reshape(batch, -1, dim))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class BasicLayer(nn.Module):
    def __init__(self, *, dim: int, side: int, depth: int, heads: int, window: int, dim_mlp: int,
                 drop_paths: list[float]):
        super().__init__()
        self.side = side
        self.conv = nn.Conv2d(dim, dim, 3, 1, 1)
        self.blocks = nn.ModuleList(
            SwinBlock(dim=dim, side=side, heads=heads, window=window, shift=0 if i % 2 == 0 else window // 2,
                      dim_mlp=dim_mlp, drop_path=drop_paths[i])
            for i in range(depth)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        grid = x.transpose(1, 2).reshape(x.shape[0], -1, self.side, self.side)
        return F.relu(self.conv(grid)).flatten(2).transpose(1, 2)


class SwinStage(nn.Module):
    """The official ``SwinTransformer``: Swin layers on a (B, C, side, side) map, each added at `scale`."""

    def __init__(self, *, dim: int, side: int, depths: list[int], heads: list[int], window: int, dim_mlp: int,
                 scale: float, drop: float = 0.1, drop_path_rate: float = 0.1):
        super().__init__()
        self.side, self.scale = side, scale
        self.dropout = nn.Dropout(drop)
        self.downsample = nn.Conv2d(dim, dim, 3, stride=2, padding=1).requires_grad_(False)  # unused upstream
        rates = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        starts = [sum(depths[:i]) for i in range(len(depths))]
        self.layers = nn.ModuleList(
            BasicLayer(dim=dim, side=side, depth=depth, heads=head, window=window, dim_mlp=dim_mlp,
                       drop_paths=rates[start : start + depth])
            for depth, head, start in zip(depths, heads, starts, strict=True)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.dropout(x).flatten(2).transpose(1, 2)
        for layer in self.layers:
            x = self.scale * layer(x) + x
        return x.transpose(1, 2).reshape(x.shape[0], -1, self.side, self.side)


class Maniqa(nn.Module):
    def __init__(self, *, image: int, patch: int, embed_dim: int, vit_depth: int, vit_heads: int, depths: list[int],
                 heads: list[int], window: int, dim_mlp: int, num_tab: int, scale: float = 0.8, drop: float = 0.1):
        super().__init__()
        side = image // patch
        if vit_depth <= max(FEATURE_BLOCKS):
            raise IqaError(f"MANIQA reads ViT blocks {FEATURE_BLOCKS}: model.vit_depth must exceed 9")
        if image % patch or side % window:
            raise IqaError(f"model.image {image} must divide into patches of {patch} and windows of {window}")
        self.vit = VisionTransformer(image=image, patch=patch, dim=embed_dim, depth=vit_depth, heads=vit_heads)
        for module in [*self.vit.blocks[max(FEATURE_BLOCKS) + 1 :], self.vit.norm, self.vit.head]:
            module.requires_grad_(False)  # after the last feature block: never reached by the loss
        self.side = side
        self.tablock1 = nn.ModuleList(TABlock(side * side) for _ in range(num_tab))
        self.conv1 = nn.Conv2d(embed_dim * len(FEATURE_BLOCKS), embed_dim, 1)
        self.swintransformer1 = SwinStage(dim=embed_dim, side=side, depths=depths, heads=heads, window=window,
                                          dim_mlp=dim_mlp, scale=scale)
        self.tablock2 = nn.ModuleList(TABlock(side * side) for _ in range(num_tab))
        self.conv2 = nn.Conv2d(embed_dim, embed_dim // 2, 1)
        self.swintransformer2 = SwinStage(dim=embed_dim // 2, side=side, depths=depths, heads=heads, window=window,
                                          dim_mlp=dim_mlp, scale=scale)
        half = embed_dim // 2
        self.fc_score = nn.Sequential(nn.Linear(half, half), nn.ReLU(), nn.Dropout(drop), nn.Linear(half, 1),
                                      nn.ReLU())
        self.fc_weight = nn.Sequential(nn.Linear(half, half), nn.ReLU(), nn.Dropout(drop), nn.Linear(half, 1),
                                       nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        score, weight = self.token_scores(x)
        return (score * weight).sum(1) / weight.sum(1)

    def token_scores(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Each token's score (ReLU) and weight (sigmoid): two (batch, side x side) tensors."""
        outputs = self.vit.block_outputs(x, last=max(FEATURE_BLOCKS))
        x = torch.cat([outputs[i][:, 1:] for i in FEATURE_BLOCKS], dim=2).transpose(1, 2)  # B, 4C, N
        for tab in self.tablock1:
            x = tab(x)
        x = self.swintransformer1(self.conv1(x.reshape(x.shape[0], -1, self.side, self.side)))
        x = x.flatten(2)
        for tab in self.tablock2:
            x = tab(x)
        x = self.swintransformer2(self.conv2(x.reshape(x.shape[0], -1, self.side, self.side)))
        tokens = x.flatten(2).transpose(1, 2)
        return self.fc_score(tokens).squeeze(2), self.fc_weight(tokens).squeeze(2)

    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        """One rate for everything, as in the official training (``head_lr_ratio`` 1)."""
        vit = {id(p) for p in self.vit.parameters()}
        return {
            "backbone": [p for p in self.vit.parameters() if p.requires_grad],
            "head": [p for p in self.parameters() if id(p) not in vit and p.requires_grad],
        }

    def load_pretrained(self, state: dict[str, torch.Tensor]) -> None:
        """timm's ViT weights into ``vit``."""
        missing, unexpected = self.vit.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise WeightError(f"the ViT weight file does not match: missing {missing[:3]}, unexpected {unexpected[:3]}")
