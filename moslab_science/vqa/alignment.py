"""AIGC-VQA's alignment branch: a BLIP image-text matching model (transformers' BLIP vision encoder and its
text encoder with cross-attention) with the spatial-temporal adapter between the two.

Each sampled frame goes through the ViT; the adapter mixes the patch tokens over (T, H, W); the tokens of
all frames are the keys and values of the text encoder's cross-attention, which reads the clip's prompt.
A linear head on the text encoder's first token gives the score. Sizes come from the configuration (BLIP
ITM base by default); weights come from the offline registry (``blip-itm-base-coco``); random-initialised
test models use the character-level tokenizer of the CLIP scorer.
"""
import torch
from torch import nn
from transformers import BertTokenizer, BlipTextConfig, BlipVisionConfig
from transformers.models.blip.modeling_blip import BlipVisionModel
from transformers.models.blip.modeling_blip_text import BlipTextModel

from moslab_science.iqa.architectures.clip_iqa import character_ids
from moslab_science.iqa.errors import WeightError
from moslab_science.iqa.weights import hf_snapshot_with
from moslab_science.vqa.adapter import SpatialTemporalAdapter
from moslab_science.vqa.errors import VqaError

TOKENIZER_FILES = ("vocab.txt",)
IGNORED_WEIGHT_KEYS = ("position_ids",)


class AlignmentBranch(nn.Module):
    def __init__(self, *, weight: str, tokenizer: str, vision: dict, text: dict, adapter_bottleneck: int):
        super().__init__()
        if tokenizer not in ("bert", "characters"):
            raise VqaError(f'model.alignment.tokenizer {tokenizer!r}: use "bert" (BLIP\'s vocabulary) or "characters"')
        self.max_length, self.vocab_size = text["max_position_embeddings"], text["vocab_size"]
        self.bert = None
        if tokenizer == "bert":  # first: a missing vocabulary fails before a large model is built
            try:
                snapshot = hf_snapshot_with(weight, TOKENIZER_FILES)
            except WeightError as error:
                raise WeightError(f"{error} (in a video configuration the key is model.alignment.tokenizer)") from None
            self.bert = BertTokenizer.from_pretrained(str(snapshot))
            specials = {"pad_token_id": self.bert.pad_token_id, "bos_token_id": self.bert.cls_token_id,
                        "sep_token_id": self.bert.sep_token_id}
        else:
            specials = {"pad_token_id": self.vocab_size - 1, "bos_token_id": 0, "sep_token_id": self.vocab_size - 1}
        self.vision = BlipVisionModel(BlipVisionConfig(**vision))
        self.text = BlipTextModel(BlipTextConfig(**text, **specials, encoder_hidden_size=vision["hidden_size"]),
                                  add_pooling_layer=False)
        self.grid = vision["image_size"] // vision["patch_size"]
        self.adapter = SpatialTemporalAdapter(vision["hidden_size"], bottleneck=adapter_bottleneck)
        self.head = nn.Linear(text["hidden_size"], 1)

    def tokenize(self, prompts: list[str], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        if self.bert is None:
            ids, mask = character_ids(prompts, vocab_size=self.vocab_size, max_length=self.max_length)
        else:
            tokens = self.bert(prompts, padding=True, truncation=True, max_length=self.max_length,
                               return_tensors="pt")
            ids, mask = tokens["input_ids"], tokens["attention_mask"]
        return ids.to(device), mask.to(device)

    def forward(self, frames: torch.Tensor, prompts: list[str]) -> torch.Tensor:
        """(B, T, 3, S, S) frames and B prompts -> (B,) scores."""
        if len(prompts) != len(frames):
            raise VqaError("the alignment branch needs one text prompt per clip (data.prompt_column)")
        batch, count = frames.shape[:2]
        tokens = self.vision(pixel_values=frames.flatten(0, 1)).last_hidden_state
        tokens = self.adapter(tokens.view(batch, count, *tokens.shape[1:]), (self.grid, self.grid))
        visual = tokens.flatten(1, 2)
        ids, mask = self.tokenize(prompts, frames.device)
        text = self.text(input_ids=ids, attention_mask=mask, encoder_hidden_states=visual,
                         encoder_attention_mask=torch.ones(visual.shape[:2], dtype=torch.long, device=frames.device))
        return self.head(text.last_hidden_state[:, 0]).squeeze(1)

    def always_trainable(self) -> list[nn.Parameter]:
        return [*self.adapter.parameters(), *self.head.parameters()]

    def load_pretrained(self, state: dict[str, torch.Tensor]) -> None:
        """transformers' BlipForImageTextRetrieval file: ``vision_model.*`` and ``text_encoder.*``."""
        for prefix, module in (("vision_model.", self.vision), ("text_encoder.", self.text)):
            part = {key[len(prefix):]: value for key, value in state.items()
                    if key.startswith(prefix) and not key.endswith(IGNORED_WEIGHT_KEYS)}
            missing, unexpected = module.load_state_dict(part, strict=False)
            missing = [key for key in missing if not key.endswith(IGNORED_WEIGHT_KEYS)]
            if missing or unexpected:
                raise WeightError(f"the BLIP weight file does not fit model.alignment ({prefix}): {len(missing)} "
                                  f"tensors missing (e.g. {missing[:3]}), {len(unexpected)} unexpected "
                                  f"(e.g. {unexpected[:3]})")
