"""Q-Align-style LMM scorer (Wu et al., ICML 2024): a large multimodal model reads the image and a prompt ending
"The quality of the image is", and the score is the expected level under the softmax of its next-token logits
restricted to the five level words (bad, poor, fair, good, excellent = 1..5).

It is trained with LoRA adapters (peft) on the language model's attention projections, and optionally the vision
projector; everything else is frozen. Losses act on the five level logits (``train.loss``): ``level_ce``, the
cross-entropy with the level of the image's equal-width MOS bin (Q-Align), or ``deqa``, the KL divergence from a
per-image level distribution (DeQA-Score soft labels).

With pretrained weights the checkpoint holds only the trained parameters; predicting reloads the base model.
"""
import re

import torch
from peft import LoraConfig, inject_adapter_in_model
from torch import nn

from moslab_science.iqa.architectures.clip_iqa import level_expectation
from moslab_science.iqa.architectures.lmm import (
    DTYPES,
    IMAGE,
    check_dtype,
    image_tokens,
    load_pretrained_lmm,
    next_word_id,
    prompt_ids,
    tiny_llava,
    word_tokenizer,
)
from moslab_science.iqa.errors import IqaError, WeightError

LEVEL_WORDS = ("bad", "poor", "fair", "good", "excellent")  # levels 1..5, Q-Align's words
TRAINED_PREFIXES = ("lora_",)
PROJECTOR = "multi_modal_projector"


def _float_inputs(module: nn.Module, inputs: tuple) -> tuple:
    return tuple(value.float() if torch.is_tensor(value) else value for value in inputs)


class QAlign(nn.Module):
    scores_levels = True  # forward(x, levels=True) gives the five level logits

    def __init__(self, *, pretrained: bool, weight: str, dtype: str, template: str, lora: dict,
                 train_projector: bool, vision: dict, text: dict):
        super().__init__()
        check_dtype(dtype)
        self.pretrained = pretrained
        if pretrained:
            self.lmm, processor = load_pretrained_lmm(weight, dtype=dtype)
            tokenizer = processor.tokenizer if hasattr(processor, "tokenizer") else processor
        else:
            tokenizer = word_tokenizer([f"{template} {' '.join(LEVEL_WORDS)}"])
            self.lmm = tiny_llava(vision=vision, text=text, tokenizer=tokenizer).to(DTYPES[dtype])
        config = self.lmm.config
        if getattr(config, "image_token_id", None) is None or not hasattr(config, "vision_config"):
            raise WeightError(f"weight {weight!r} is not a LLaVA-style model (a vision tower and one image token "
                              "id): qalign needs one, such as llava-hf/llava-1.5-7b-hf")
        if tokenizer.convert_tokens_to_ids(IMAGE) != config.image_token_id:
            raise WeightError(f"the tokenizer of {weight!r} does not map {IMAGE} to the model's image token")
        level_ids = [next_word_id(tokenizer, template, word) for word in LEVEL_WORDS]
        self.register_buffer("prompt", torch.tensor([prompt_ids(tokenizer, template, image_tokens(self.lmm))]),
                             persistent=False)
        self.register_buffer("level_ids", torch.tensor(level_ids), persistent=False)
        self._add_lora(lora)
        for name, parameter in self.lmm.named_parameters():
            trained = any(part.startswith(TRAINED_PREFIXES) for part in name.split("."))
            parameter.requires_grad_(trained or (train_projector and PROJECTOR in name))
            if parameter.requires_grad:
                parameter.data = parameter.data.float()  # adapters train in float32 over a bf16 base
        if train_projector and dtype != "float32":  # the float32 projector reads the bf16 vision tower's features
            for name, module in self.lmm.named_modules():
                if name.endswith(PROJECTOR):
                    module.register_forward_pre_hook(_float_inputs)

    def _add_lora(self, lora: dict) -> None:
        modules = "|".join(re.escape(name) for name in lora["target_modules"])
        config = LoraConfig(r=lora["rank"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"],
                            target_modules=rf".*language_model\..*\.({modules})$")
        try:
            inject_adapter_in_model(config, self.lmm)
        except ValueError as error:
            raise IqaError(f"model.lora.target_modules {lora['target_modules']} match no layer of the language "
                           f"model: {error}") from None

    def level_logits(self, x: torch.Tensor) -> torch.Tensor:
        """The next-token logits of the five level words after the prompt: (batch, 5), bad first."""
        ids = self.prompt.expand(len(x), -1)
        output = self.lmm(input_ids=ids, pixel_values=x.to(self.lmm.dtype), logits_to_keep=1)
        return output.logits[:, -1, self.level_ids].float()

    def forward(self, x: torch.Tensor, levels: bool = False) -> torch.Tensor:
        logits = self.level_logits(x)
        return logits if levels else level_expectation(logits)

    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        """LoRA adapters at `lr`, the vision projector (when trained) at `lr` x `head_lr_ratio`."""
        trained = [(name, p) for name, p in self.named_parameters() if p.requires_grad]
        return {"backbone": [p for name, p in trained if PROJECTOR not in name],
                "head": [p for name, p in trained if PROJECTOR in name]}

    def checkpoint_state(self) -> dict[str, torch.Tensor]:
        """Every tensor of a random-initialised model; only the trained ones over pretrained weights."""
        if not self.pretrained:
            return self.state_dict()
        return {name: p.detach().clone() for name, p in self.named_parameters() if p.requires_grad}

    def load_checkpoint_state(self, state: dict[str, torch.Tensor]) -> None:
        if not self.pretrained:
            self.load_state_dict(state)
            return
        trained = {name for name, p in self.named_parameters() if p.requires_grad}
        if set(state) != trained:
            raise IqaError("the checkpoint's trained tensors differ from this model's LoRA and projector "
                           f"parameters ({len(set(state) ^ trained)} differ): it was saved with another model.lora "
                           "or model.train_projector")
        self.load_state_dict(state, strict=False)
