"""SigLIP five-level prompt scorer: the CLIP scorer's recipe (moslab_science/iqa/architectures/clip_iqa.py) on
transformers' ``SiglipModel``. SigLIP is trained with a sigmoid per image-text pair, logit = exp(t) cos + b; here the
five level prompts' logits still go through a softmax over the levels, and the score is the expected level (the bias
b is the same for the five and cancels there). ``prompts="alignment"`` appends each image's own text prompt.

SigLIP's text tower pools the last position, and it was trained on prompts padded to the full length: prompts are
padded to ``text.max_position_embeddings`` and no attention mask is given, as transformers' SigLIP documentation
asks. Its tokenizer (SentencePiece) comes from the weight's Hugging Face cache snapshot; random-initialised test
models may use the character-level tokenizer instead.
"""
import torch
from torch import nn
from torch.nn import functional as F
from transformers import AutoTokenizer, SiglipConfig, SiglipModel

from moslab_science.iqa.architectures.clip_iqa import (
    ALIGNMENT_WORDS,
    alignment_prompts,
    character_ids,
    level_expectation,
    quality_prompts,
)
from moslab_science.iqa.errors import IqaError, WeightError
from moslab_science.iqa.weights import hf_snapshot_with

TOKENIZER_FILES = ("tokenizer_config.json",)


class SiglipIqa(nn.Module):
    scores_levels = True  # forward(..., levels=True) gives the five level logits

    def __init__(self, *, weight: str, tokenizer: str, vision: dict, text: dict, prompts: str = "quality"):
        super().__init__()
        if tokenizer not in ("siglip", "characters"):
            raise IqaError(f'model.tokenizer {tokenizer!r}: use "siglip" (the weight\'s vocabulary) or "characters"')
        if prompts not in ("quality", "alignment"):
            raise IqaError(f'model.prompts {prompts!r}: use "quality" or "alignment" (with each image\'s prompt)')
        self.uses_prompts = prompts == "alignment"
        self.max_length, self.vocab_size = text["max_position_embeddings"], text["vocab_size"]
        self.sentencepiece = None
        if tokenizer == "siglip":  # first: a missing vocabulary fails before a large model is built
            folder = str(hf_snapshot_with(weight, TOKENIZER_FILES))
            try:
                self.sentencepiece = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            except (ImportError, OSError, ValueError) as error:  # SigLIP's SentencePiece vocabulary
                raise WeightError(f"SigLIP's tokenizer in {folder} cannot be loaded ({error}); its spiece.model "
                                  "needs the sentencepiece package: pip install sentencepiece") from None
            words = self.sentencepiece
            specials = {"pad_token_id": words.pad_token_id, "bos_token_id": words.bos_token_id,
                        "eos_token_id": words.eos_token_id}
        else:  # begin, end and padding ids of `character_ids`
            specials = {"pad_token_id": self.vocab_size - 1, "bos_token_id": 0, "eos_token_id": self.vocab_size - 1}
        self.siglip = SiglipModel(SiglipConfig(text_config={**text, **specials}, vision_config=vision))
        self.register_buffer("prompt_ids", self._tokenize(quality_prompts()), persistent=False)

    def _tokenize(self, texts: list[str]) -> torch.Tensor:
        if self.sentencepiece is None:
            ids, _ = character_ids(texts, vocab_size=self.vocab_size, max_length=self.max_length)
            padding = torch.full((len(texts), self.max_length - ids.shape[1]), self.vocab_size - 1)
            return torch.cat([ids, padding], dim=1)
        return self.sentencepiece(texts, padding="max_length", truncation=True, max_length=self.max_length,
                                  return_tensors="pt")["input_ids"]

    def _text_features(self, ids: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.siglip.get_text_features(input_ids=ids).pooler_output, dim=-1)

    def level_logits(self, x: torch.Tensor, prompts: list[str] | None = None) -> torch.Tensor:
        """SigLIP's pair logits exp(t) cos + b of each image with each of its five level prompts: (batch, 5)."""
        image = F.normalize(self.siglip.get_image_features(pixel_values=x).pooler_output, dim=-1)
        scale, bias = self.siglip.logit_scale.exp(), self.siglip.logit_bias
        if not self.uses_prompts:
            return scale * image @ self._text_features(self.prompt_ids).T + bias
        if prompts is None or len(prompts) != len(x):
            raise IqaError("the prompt-conditioned SigLIP scorer needs one text prompt per image")
        ids = self._tokenize([text for prompt in prompts for text in alignment_prompts(prompt)]).to(x.device)
        text = self._text_features(ids).view(len(x), len(ALIGNMENT_WORDS), -1)
        return scale * torch.einsum("bd,bkd->bk", image, text) + bias

    def forward(self, x: torch.Tensor, prompts: list[str] | None = None, levels: bool = False) -> torch.Tensor:
        logits = self.level_logits(x, prompts)
        return logits if levels else level_expectation(logits)

    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        towers = [*self.siglip.vision_model.parameters(), *self.siglip.text_model.parameters()]
        return {"backbone": towers, "head": [self.siglip.logit_scale, self.siglip.logit_bias]}

    def load_pretrained(self, state: dict[str, torch.Tensor]) -> None:
        missing, unexpected = self.siglip.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise WeightError(f"the SigLIP weight file does not fit model.vision/model.text: {len(missing)} tensors "
                              f"missing (e.g. {missing[:3]}), {len(unexpected)} unexpected (e.g. {unexpected[:3]})")
