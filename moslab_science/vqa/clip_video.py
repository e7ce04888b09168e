"""``clip-video``: the frame-averaged CLIP baseline. The CLIP five-level prompt scorer of moslab_science.iqa scores
each of N uniformly sampled frames (resized to CLIP's input size); the clip's score is their mean. With
``model.prompts = "alignment"`` every frame is scored against the clip's own text prompt."""
import torch
from torch import nn

from moslab_science.iqa.architectures.clip_iqa import ClipIqa


class ClipVideo(nn.Module):
    branch_names = ("overall",)

    def __init__(self, **clip):
        super().__init__()
        self.clip = ClipIqa(**clip)
        self.uses_prompts = self.clip.uses_prompts

    def forward(self, inputs: dict[str, torch.Tensor], prompts: list[str],
                branches: tuple[str, ...] = ("overall",)) -> dict[str, torch.Tensor]:
        frames = inputs["frames"]  # (B, T, 3, S, S)
        batch, count = frames.shape[:2]
        per_frame = [prompt for prompt in prompts for _ in range(count)] if self.uses_prompts else None
        return {"overall": self.clip(frames.flatten(0, 1), per_frame).view(batch, count).mean(dim=1)}

    def branch(self, name: str) -> nn.Module:
        return self

    def always_trainable(self) -> list[nn.Parameter]:
        return self.clip.parameter_groups()["head"]

    def load_pretrained(self, state: dict[str, torch.Tensor]) -> None:
        self.clip.load_pretrained(state)
