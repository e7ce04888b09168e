"""Semantic features of images from a large multimodal model (MA-AGIQA): for each image and question, the model's
last hidden layer averaged over every token of the conversation, computed once and cached on disk.

A cached feature is the file ``<cache>/<key>.pt``, where key is the SHA-256 of (image name, SHA-256 of the image
file, the LMM's identity, the prompt template, the question): a changed image, model or prompt is computed again,
never read stale. The LMM is loaded only when some feature is missing. As in MA-AGIQA's released extraction, the
image is padded to a square with the processor's mean colour first; the processor then resizes and normalises it.
"""
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from moslab_science.files import file_sha256
from moslab_science.iqa.architectures.lmm import (
    check_dtype,
    load_pretrained_lmm,
    tiny_llava,
    tiny_processor,
    word_tokenizer,
)
from moslab_science.iqa.errors import IqaError
from moslab_science.iqa.images import read_rgb


@dataclass(frozen=True)
class FeatureSource:
    """Which LMM reads the images: a registered model folder (`weight`), or with `weight` None a LLaVA built from
    `vision` and `text` sizes, randomly initialised from `seed` (tests)."""

    weight: str | None
    template: str | None  # "... <image> ... {question} ..."; None: the processor's chat template
    dtype: str = "bfloat16"
    seed: int = 0
    vision: dict = field(default_factory=dict)
    text: dict = field(default_factory=dict)

    def identity(self) -> str:
        if self.weight:
            return self.weight
        return "random:" + json.dumps({"seed": self.seed, "vision": self.vision, "text": self.text}, sort_keys=True)


class FeatureCache:
    """Features of `questions` for images, read from `folder` or computed (then written there). `computed` counts
    the LMM's forward passes, `read` the features found in the cache, `loads` how often the LMM was loaded (it is
    released once the features are there)."""

    def __init__(self, folder: Path, source: FeatureSource, questions: tuple[str, ...], *, device: torch.device):
        check_dtype(source.dtype)
        if not source.weight and not (source.vision and source.text and source.template):
            raise IqaError("model.lmm.weight is null (a random LMM): set model.lmm.vision, text and template too")
        self.folder, self.source, self.questions, self.device = Path(folder), source, questions, device
        self.computed = self.read = self.loads = 0
        self._lmm = None

    def features(self, images: Path, names: list[str]) -> dict[str, torch.Tensor]:
        """name -> (questions, hidden size) float32 tensor."""
        found = {}
        for name in names:
            image_hash = file_sha256(Path(images) / name)
            rows = []
            for question in self.questions:
                path = self.folder / f"{self._key(name, image_hash, question)}.pt"
                if path.is_file():
                    rows.append(torch.load(path, map_location="cpu", weights_only=True))
                    self.read += 1
                else:
                    rows.append(self._compute(Path(images) / name, question))
                    self._write(path, rows[-1])
            found[name] = torch.stack(rows)
        self._release()
        return found

    def _release(self) -> None:
        if self._lmm is not None:
            self._lmm = None
            if self.device.type == "cuda":
                torch.cuda.empty_cache()

    def _key(self, name: str, image_hash: str, question: str) -> str:
        parts = [name, image_hash, self.source.identity(), self.source.template, question]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    def _write(self, path: Path, feature: torch.Tensor) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        torch.save(feature, temporary)
        temporary.replace(path)

    @torch.no_grad()
    def _compute(self, path: Path, question: str) -> torch.Tensor:
        model, processor = self._load()
        inputs = processor(images=[self._square(path, processor)], text=[self._prompt(processor, question)],
                           return_tensors="pt").to(self.device)
        inputs = {key: value.to(model.dtype) if value.is_floating_point() else value for key, value in inputs.items()}
        hidden = model(**inputs, output_hidden_states=True).hidden_states[-1]
        self.computed += 1
        return hidden.float().mean(dim=1)[0].cpu()

    def _load(self):
        if self._lmm is None:
            source = self.source
            if source.weight:
                model, processor = load_pretrained_lmm(source.weight, dtype=source.dtype)
            else:
                tokenizer = word_tokenizer([source.template.format(question=q) for q in self.questions])
                with torch.random.fork_rng(devices=[]):  # the same random LMM whenever it is built
                    torch.manual_seed(source.seed)
                    model = tiny_llava(vision=source.vision, text=source.text, tokenizer=tokenizer)
                processor = tiny_processor(tokenizer, source.vision, "clip")
            self._lmm = (model.to(self.device).eval(), processor)
            self.loads += 1
        return self._lmm

    def _prompt(self, processor, question: str) -> str:
        if self.source.template:
            return self.source.template.format(question=question)
        if not getattr(processor, "chat_template", None):
            raise IqaError(f"the processor of {self.source.weight!r} has no chat template: set model.lmm.template "
                           '(e.g. "USER: <image>\\n{question} ASSISTANT:")')
        message = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": question}]}]
        return processor.apply_chat_template(message, add_generation_prompt=True)

    @staticmethod
    def _square(path: Path, processor) -> Image.Image:
        pixels = read_rgb(path)[0]
        height, width = pixels.shape[:2]
        side = max(height, width)
        mean = getattr(processor.image_processor, "image_mean", None) or (0.5, 0.5, 0.5)
        canvas = np.empty((side, side, 3), dtype=np.uint8)
        canvas[:] = np.round(np.asarray(mean) * 255).astype(np.uint8)
        top, left = (side - height) // 2, (side - width) // 2
        canvas[top : top + height, left : left + width] = pixels
        return Image.fromarray(canvas)
