"""Tiny pretrained models saved where the weight registry finds them offline (a Hugging Face cache), so that a
zero-shot run or a model test loads "pretrained" weights exactly as it would load the real ones.

Each ``save_tiny_*`` writes a random-initialised tiny model (and its tokenizer) as a cache snapshot of the real
model's repository and returns the hyperparameters that build that tiny model with ``"pretrained": true``.
"""
import hashlib
import json
import string
from pathlib import Path

import torch

from moslab_science.iqa import build_model, resolve_config
from moslab_science.iqa.architectures.clip_iqa import quality_prompts
from moslab_science.iqa.architectures.lmm import tiny_llava, tiny_processor, word_tokenizer

CLIP_REPO = "openai/clip-vit-base-patch32"
SIGLIP_REPO = "google/siglip-base-patch16-224"
LLAVA_REPO = "llava-hf/llava-1.5-7b-hf"


def snapshot_folder(hf_cache: Path, repo: str) -> Path:
    folder = hf_cache / ("models--" + repo.replace("/", "--")) / "snapshots" / "0123abcd"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_tiny_clip(hf_cache: Path, *, arch: str = "clip", seed: int = 0) -> dict:
    """A tiny CLIP with a letter-level BPE vocabulary (begin 0, end 1, letters, letters + </w>) and its weights;
    the same weights serve clip, clip-agi and clip-iqa."""
    snapshot = snapshot_folder(hf_cache, CLIP_REPO)
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for suffix in ("", "</w>"):
        vocab.update({char + suffix: len(vocab) for char in string.ascii_lowercase})
    (snapshot / "vocab.json").write_text(json.dumps(vocab))
    (snapshot / "merges.txt").write_text("#version: 0.2\n")
    hyperparameters = {"preset": "tiny", "model": {"tokenizer": "clip", "text": {"vocab_size": len(vocab)}}}
    torch.manual_seed(seed)
    model = build_model(arch, resolve_config(arch, hyperparameters))
    torch.save(model.clip.state_dict(), snapshot / "pytorch_model.bin")
    return {**hyperparameters, "pretrained": True}


def save_tiny_siglip(hf_cache: Path, *, seed: int = 0) -> dict:
    """A tiny SigLIP with a word-level tokenizer (tokenizer.json) and its weights."""
    snapshot = snapshot_folder(hf_cache, SIGLIP_REPO)
    tokenizer = word_tokenizer(quality_prompts())
    tokenizer.save_pretrained(snapshot)
    hyperparameters = {"preset": "tiny", "model": {"tokenizer": "siglip", "text": {"vocab_size": len(tokenizer)}}}
    torch.manual_seed(seed)
    model = build_model("siglip", resolve_config("siglip", hyperparameters))
    torch.save(model.siglip.state_dict(), snapshot / "pytorch_model.bin")
    return {**hyperparameters, "pretrained": True}


def save_tiny_llava(hf_cache: Path, config: dict | None = None, *, seed: int = 7):
    """A random LLaVA with its tokenizer and processor saved as a snapshot of LLAVA_REPO, its weight file stored
    as a blob named by its SHA-256, as the hub client lays it out. Returns the model saved."""
    config = config or resolve_config("qalign", {"preset": "tiny"})
    repo = hf_cache / ("models--" + LLAVA_REPO.replace("/", "--"))
    snapshot = snapshot_folder(hf_cache, LLAVA_REPO)
    tokenizer = word_tokenizer([f"{config['model']['template']} bad poor fair good excellent"])
    torch.manual_seed(seed)
    model = tiny_llava(vision=config["model"]["vision"], text=config["model"]["text"], tokenizer=tokenizer)
    model.save_pretrained(snapshot)
    tiny_processor(tokenizer, config["model"]["vision"], "clip").save_pretrained(snapshot)
    weights = snapshot / "model.safetensors"
    blob = repo / "blobs" / hashlib.sha256(weights.read_bytes()).hexdigest()
    blob.parent.mkdir(parents=True)
    weights.rename(blob)
    weights.symlink_to(blob)
    return model


QALIGN_PRETRAINED = {"preset": "tiny", "pretrained": True}  # the hyperparameters that load save_tiny_llava's model
