"""The fixtures' pseudo-weight recipe and tensor digest, in plain torch (no Django, no test settings), so the
fixture generator (tests/fixtures/official-equivalence/generate.py) and the tests use the very same code."""
import hashlib
import math
import zlib

import torch


def sha256(tensor: torch.Tensor) -> str:
    return hashlib.sha256(tensor.contiguous().numpy().tobytes()).hexdigest()


def pseudo_weight(key: str, shape: tuple[int, ...], lecun_nd_weights: bool) -> torch.Tensor:
    """The fixtures' recipe, as their README states it (float32 CPU arithmetic, written exactly so)."""
    generator = torch.Generator().manual_seed(zlib.crc32(key.encode()))
    if key.endswith("running_var"):
        return 1 + 0.1 * torch.rand(shape, generator=generator)
    if len(shape) == 1 and key.endswith(".weight"):
        return 1 + 0.02 * torch.randn(shape, generator=generator)
    if lecun_nd_weights and len(shape) >= 2 and key.endswith(".weight"):
        return torch.randn(shape, generator=generator) / math.sqrt(math.prod(shape[1:]))
    return 0.02 * torch.randn(shape, generator=generator)
