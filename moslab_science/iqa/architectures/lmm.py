"""Large multimodal models (LMMs) for the LMM-based scorers, from transformers.

Pretrained: a model folder from the weight registry or the Hugging Face cache (offline, see
``weights.resolve_model_folder``), loaded with ``AutoModelForImageTextToText``, its tokenizer and processor from the
same folder. Tiny (random initialisation, tests): a LLaVA model (``LlavaForConditionalGeneration``: a CLIP vision
tower, a projector and a Llama language model) built from config objects, with a word-level tokenizer whose
vocabulary holds the words of the prompts it will read (each one token), and a LLaVA processor around both.
"""
import torch
from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers
from transformers import (
    AutoModelForImageTextToText,
    AutoProcessor,
    LlavaConfig,
    LlavaForConditionalGeneration,
    LlavaProcessor,
    PreTrainedTokenizerFast,
)
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

from moslab_science.iqa.errors import IqaError, WeightError
from moslab_science.iqa.transforms import NORMALISATION
from moslab_science.iqa.weights import resolve_model_folder

IMAGE = "<image>"  # the image placeholder of prompt templates (LLaVA's)
SPECIALS = ("<unk>", "<pad>", "<s>", "</s>", IMAGE)
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def word_tokenizer(texts: list[str]) -> PreTrainedTokenizerFast:
    """A word-level tokenizer (split on whitespace and punctuation) whose vocabulary is the special tokens, then
    every word of `texts` in order of first appearance; ``<image>`` is one special token."""
    splitter = pre_tokenizers.Whitespace()
    vocab = {token: index for index, token in enumerate(SPECIALS)}
    for text in texts:
        for word, _ in splitter.pre_tokenize_str(text.replace(IMAGE, " ")):
            vocab.setdefault(word, len(vocab))
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = splitter
    tokenizer.add_special_tokens([AddedToken(token, special=True) for token in SPECIALS])
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", pad_token="<pad>", bos_token="<s>",
                                   eos_token="</s>", extra_special_tokens={"image_token": IMAGE})


def tiny_llava(*, vision: dict, text: dict, tokenizer: PreTrainedTokenizerFast) -> LlavaForConditionalGeneration:
    """A randomly initialised LLaVA: CLIP vision tower (`vision`: CLIPVisionConfig sizes) and Llama language model
    (`text`: LlamaConfig sizes; the vocabulary is the tokenizer's)."""
    ids = {name: tokenizer.convert_tokens_to_ids(token) for name, token in
           (("pad_token_id", "<pad>"), ("bos_token_id", "<s>"), ("eos_token_id", "</s>"))}
    side = vision["image_size"] // vision["patch_size"]
    config = LlavaConfig(vision_config={"model_type": "clip_vision_model", **vision},
                         text_config={"model_type": "llama", **text, "vocab_size": len(tokenizer), **ids},
                         image_token_index=tokenizer.convert_tokens_to_ids(IMAGE), image_seq_length=side * side)
    return LlavaForConditionalGeneration(config)


def tiny_processor(tokenizer: PreTrainedTokenizerFast, vision: dict, normalise: str) -> LlavaProcessor:
    size = vision["image_size"]
    mean, std = NORMALISATION[normalise]
    images = CLIPImageProcessorPil(size={"shortest_edge": size}, crop_size={"height": size, "width": size},
                                   image_mean=list(mean), image_std=list(std))
    return LlavaProcessor(image_processor=images, tokenizer=tokenizer, patch_size=vision["patch_size"],
                          vision_feature_select_strategy="default", num_additional_image_tokens=1)


def load_pretrained_lmm(weight: str, *, dtype: str):
    """(model, processor) of the registered model folder `weight`, read offline; WeightError naming what to place."""
    folder = str(resolve_model_folder(weight))
    try:
        processor = AutoProcessor.from_pretrained(folder, local_files_only=True)
        model = AutoModelForImageTextToText.from_pretrained(folder, local_files_only=True, dtype=DTYPES[dtype])
    except (OSError, ValueError) as error:
        raise WeightError(f"the model folder of weight {weight!r} ({folder}) cannot be loaded by transformers' "
                          f"AutoModelForImageTextToText and AutoProcessor: {error}") from None
    return model, processor


def check_dtype(dtype: str) -> None:
    if dtype not in DTYPES:
        raise IqaError(f"model.dtype {dtype!r}: use {' or '.join(DTYPES)}")


def image_tokens(model) -> int:
    """How many image tokens a LLaVA-style model puts in place of one ``<image>``: its ``image_seq_length``, else
    one per patch (and the class token with the "full" feature strategy)."""
    config = model.config
    if getattr(config, "image_seq_length", None):
        return config.image_seq_length
    vision = config.vision_config
    side = vision.image_size // vision.patch_size
    return side * side + (getattr(config, "vision_feature_select_strategy", "default") == "full")


def prompt_ids(tokenizer, template: str, count: int) -> list[int]:
    """The token ids of `template` with its one ``<image>`` expanded to `count` image tokens (as LLaVA's processor
    does)."""
    if template.count(IMAGE) != 1:
        raise IqaError(f"the prompt template {template!r} must hold {IMAGE} exactly once")
    return tokenizer(template.replace(IMAGE, IMAGE * count))["input_ids"]


def next_word_id(tokenizer, text: str, word: str) -> int:
    """The id of the one token `word` adds when it follows `text` after a space; IqaError when it is several."""
    before = tokenizer(text)["input_ids"]
    after = tokenizer(f"{text} {word}")["input_ids"]
    if after[: len(before)] != before or len(after) != len(before) + 1:
        raise IqaError(f"the level word {word!r} is not one token after the prompt in this model's tokenizer: "
                       "choose another model.answer or a model whose vocabulary holds it")
    return after[-1]
