"""CLIP five-level prompt scorer: the image is compared with five quality prompts, and the score is the
expected level under the softmax of the cosine similarities (LIQE style). With ``prompts="alignment"``
the five prompts name how well an AI-generated image matches its own text prompt, which is appended to each.
With ``prompts="antonym"`` it is CLIP-IQA (Wang et al., AAAI 2023): the antonym pair "Bad photo." / "Good photo.",
whose softmax gives P(good); the score is 1 + 4 P(good), on the same 1..5 level scale as the other prompts, so the
recipe's losses and the zero-shot scores mean the same thing.

The model is Hugging Face transformers' ``CLIPModel``, built from the configuration's sizes (ViT-B/32 by
default) and loaded from the weight registry; the prompts are tokenised once when the model is built. Random
initialised test models may use a character-level tokenizer instead of CLIP's BPE vocabulary.
"""
import torch
from torch import nn
from torch.nn import functional as F
from transformers import CLIPConfig, CLIPModel, CLIPTokenizer

from moslab_science.iqa.errors import IqaError, WeightError
from moslab_science.iqa.weights import hf_snapshot_with

QUALITY_WORDS = ("bad", "poor", "fair", "good", "perfect")  # levels 1..5
ALIGNMENT_WORDS = ("badly", "poorly", "fairly", "well", "perfectly")
ANTONYM_PROMPTS = ("Bad photo.", "Good photo.")  # CLIP-IQA's pair, the worse first
PROMPT_KINDS = ("quality", "alignment", "antonym")
LEVELS = 5
TOKENIZER_FILES = ("vocab.json", "merges.txt")
IGNORED_WEIGHT_KEYS = ("position_ids",)  # buffers older transformers versions saved


def quality_prompts() -> list[str]:
    return [f"a photo with {word} quality" for word in QUALITY_WORDS]


def fixed_prompts(kind: str) -> list[str]:
    """The prompts every image is compared with: the five quality levels, or CLIP-IQA's antonym pair."""
    return list(ANTONYM_PROMPTS) if kind == "antonym" else quality_prompts()


def antonym_score(logits: torch.Tensor) -> torch.Tensor:
    """CLIP-IQA's P(good) under the softmax of the (bad, good) logits, as 1 + 4 P(good) on the 1..5 level scale."""
    return 1.0 + (LEVELS - 1) * logits.softmax(dim=-1)[..., 1]


def alignment_prompts(prompt: str) -> list[str]:
    return [f"a {word} image matching the prompt: {prompt}" for word in ALIGNMENT_WORDS]


def level_expectation(logits: torch.Tensor) -> torch.Tensor:
    """The expected level (1..5) under the softmax of the last dimension's five logits."""
    levels = torch.arange(1, logits.shape[-1] + 1, dtype=logits.dtype, device=logits.device)
    return logits.softmax(dim=-1) @ levels


def character_ids(texts: list[str], *, vocab_size: int, max_length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids of a character-level tokenizer for random-initialised models: begin 0, characters
    1..vocab_size-2 (code point modulo), end and padding vocab_size-1; with the attention mask."""
    end = vocab_size - 1
    rows = [[0, *(1 + ord(char) % (vocab_size - 2) for char in text)][: max_length - 1] + [end] for text in texts]
    width = max(len(row) for row in rows)
    ids = torch.tensor([row + [end] * (width - len(row)) for row in rows])
    mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in rows])
    return ids, mask


class ClipIqa(nn.Module):
    def __init__(self, *, weight: str, tokenizer: str, vision: dict, text: dict, projection_dim: int,
                 prompts: str = "quality"):
        super().__init__()
        if tokenizer not in ("clip", "characters"):
            raise IqaError(f'model.tokenizer {tokenizer!r}: use "clip" (the weight\'s vocabulary) or "characters"')
        if prompts not in PROMPT_KINDS:
            raise IqaError(f'model.prompts {prompts!r}: use "quality", "antonym" (CLIP-IQA\'s "Bad photo." / '
                           '"Good photo.") or "alignment" (with each image\'s prompt)')
        self.uses_prompts = prompts == "alignment"  # forward then takes each view's text prompt too
        self.antonym = prompts == "antonym"
        self.max_length, self.vocab_size = text["max_position_embeddings"], text["vocab_size"]
        self.bpe = None  # the character-level tokenizer
        if tokenizer == "clip":  # first: a missing vocabulary fails before a large model is built
            self.bpe = CLIPTokenizer.from_pretrained(str(hf_snapshot_with(weight, TOKENIZER_FILES)))
            specials = (self.bpe.bos_token_id, self.bpe.eos_token_id, self.bpe.pad_token_id)
        else:  # begin, end and padding ids of `character_ids`
            specials = (0, self.vocab_size - 1, self.vocab_size - 1)
        text = {**text, **dict(zip(("bos_token_id", "eos_token_id", "pad_token_id"), specials, strict=True))}
        self.clip = CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=projection_dim))
        ids, mask = self._tokenize(fixed_prompts(prompts))
        self.register_buffer("prompt_ids", ids, persistent=False)
        self.register_buffer("prompt_mask", mask, persistent=False)

    def _tokenize(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        if self.bpe is None:
            return character_ids(texts, vocab_size=self.vocab_size, max_length=self.max_length)
        tokens = self.bpe(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        return tokens["input_ids"], tokens["attention_mask"]

    def _text_features(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.clip.get_text_features(input_ids=ids, attention_mask=mask).pooler_output, dim=-1)

    def level_logits(self, x: torch.Tensor, prompts: list[str] | None = None) -> torch.Tensor:
        """CLIP's scaled cosine similarity of each image with each of its level prompts: (batch, 5), or (batch, 2)
        for the antonym pair."""
        image = F.normalize(self.clip.get_image_features(pixel_values=x).pooler_output, dim=-1)
        if not self.uses_prompts:
            return self.clip.logit_scale.exp() * image @ self._text_features(self.prompt_ids, self.prompt_mask).T
        if prompts is None or len(prompts) != len(x):
            raise IqaError("the prompt-conditioned CLIP scorer needs one text prompt per image")
        ids, mask = self._tokenize([text for prompt in prompts for text in alignment_prompts(prompt)])
        text = self._text_features(ids.to(x.device), mask.to(x.device)).view(len(x), len(ALIGNMENT_WORDS), -1)
        return self.clip.logit_scale.exp() * torch.einsum("bd,bkd->bk", image, text)

    def forward(self, x: torch.Tensor, prompts: list[str] | None = None) -> torch.Tensor:
        logits = self.level_logits(x, prompts)
        return antonym_score(logits) if self.antonym else level_expectation(logits)

    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        encoders = [*self.clip.vision_model.parameters(), *self.clip.text_model.parameters()]
        head = [*self.clip.visual_projection.parameters(), *self.clip.text_projection.parameters(),
                self.clip.logit_scale]
        return {"backbone": encoders, "head": head}

    def load_pretrained(self, state: dict[str, torch.Tensor]) -> None:
        state = {key: value for key, value in state.items() if not key.endswith(IGNORED_WEIGHT_KEYS)}
        missing, unexpected = self.clip.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise WeightError(f"the CLIP weight file does not fit model.vision/model.text: {len(missing)} tensors "
                              f"missing (e.g. {missing[:3]}), {len(unexpected)} unexpected (e.g. {unexpected[:3]})")
