"""The weight registry: where weights are found, what a missing or wrong file says, the real ImageNet weights."""
import hashlib

import numpy as np
import pytest
import torch
from skimage import data as photos

from moslab_science.iqa import WeightError, build_model, resolve_config
from moslab_science.iqa.backbones.efficientnet_lite import EfficientNetLite
from moslab_science.iqa.transforms import to_tensor
from moslab_science.iqa.weights import load_state_dict, resolve_weight
from tests.modeling import iqa_fixtures  # noqa: F401  (one torch thread)

CATS = {281, 282, 283, 284, 285}  # ImageNet tabby, tiger cat, Persian, Siamese, Egyptian cat
ESPRESSO_OR_CUP = {967, 968}


@pytest.fixture(autouse=True)
def isolated_caches(tmp_path, monkeypatch):
    """No registry file, empty torch and Hugging Face caches, unless a test makes them."""
    monkeypatch.setenv("MOSLAB_WEIGHTS", str(tmp_path / "registry" / "weights.toml"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)


def saved_tensor_file(path, value=1.0) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"weight": torch.full((2,), value)}, path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_missing_weight_names_the_file_and_where_to_put_it(tmp_path):
    with pytest.raises(WeightError) as raised:
        resolve_weight("resnet50-imagenet")
    message = str(raised.value)
    assert "resnet50-19c8e357.pth" in message
    assert str(tmp_path / "registry" / "weights.toml") in message
    assert str(tmp_path / "torch" / "hub" / "checkpoints" / "resnet50-19c8e357.pth") in message
    assert "timm/resnet50.tv_in1k" in message
    assert '"pretrained": false' in message


def test_pretrained_model_without_its_weight_refuses_to_start():
    with pytest.raises(WeightError, match="resnet50-19c8e357.pth"):
        build_model("hyperiqa", resolve_config("hyperiqa", {"preset": "tiny", "pretrained": True}))


def test_registry_entry_with_relative_path_is_checked_and_loaded(tmp_path):
    digest = saved_tensor_file(tmp_path / "registry" / "files" / "mine.pth", 3.0)
    (tmp_path / "registry" / "weights.toml").write_text(
        f'[weights.mine]\npath = "files/mine.pth"\nsha256 = "{digest}"\nsource = "trained here"\n'
    )
    assert torch.equal(load_state_dict("mine")["weight"], torch.full((2,), 3.0))


def test_registry_entry_with_wrong_checksum_is_refused(tmp_path):
    saved_tensor_file(tmp_path / "registry" / "mine.pth")
    (tmp_path / "registry" / "weights.toml").write_text(
        f'[weights.mine]\npath = "mine.pth"\nsha256 = "{"0" * 64}"\nsource = "trained here"\n'
    )
    with pytest.raises(WeightError, match="not the expected 0000"):
        resolve_weight("mine")


def test_registry_problems_are_listed(tmp_path, monkeypatch):
    registry = tmp_path / "registry" / "weights.json"
    registry.parent.mkdir(parents=True)
    registry.write_text('{"weights": {"a": {"path": "a.pth"}, "b": {"path": "b.pth", "sha256": "x"}}}')
    monkeypatch.setenv("MOSLAB_WEIGHTS", str(registry))
    with pytest.raises(WeightError) as raised:
        resolve_weight("a")
    assert raised.value.problems == [
        "entry 'a' lacks 'sha256'",
        "entry 'a' lacks 'source'",
        "entry 'b' lacks 'source'",
    ]


def test_registered_file_that_is_gone_is_named(tmp_path):
    (tmp_path / "registry").mkdir()
    entry = '[weights.x]\npath = "/nowhere/x.pth"\nsha256 = "ab"\nsource = "s"\n'
    (tmp_path / "registry" / "weights.toml").write_text(entry)
    with pytest.raises(WeightError, match="/nowhere/x.pth, but that file does not exist"):
        resolve_weight("x")


def test_torch_hub_cache_is_used_and_its_name_prefix_checked(tmp_path):
    cached = tmp_path / "torch" / "hub" / "checkpoints" / "resnet50-19c8e357.pth"
    saved_tensor_file(cached)
    with pytest.raises(WeightError, match="not the expected 19c8e357"):
        resolve_weight("resnet50-imagenet")


def test_hugging_face_cache_snapshot_is_found_and_checked_against_its_blob_name(tmp_path, monkeypatch):
    """The cache links snapshots/<rev>/<file> to blobs/<sha256>: a damaged blob is refused."""
    repo = tmp_path / "hub" / "models--timm--resnet50.tv_in1k"
    staging = tmp_path / "staging.bin"
    digest = saved_tensor_file(staging, 2.0)
    (repo / "blobs").mkdir(parents=True)
    staging.rename(repo / "blobs" / digest)
    (repo / "snapshots" / "abc123").mkdir(parents=True)
    (repo / "snapshots" / "abc123" / "pytorch_model.bin").symlink_to(repo / "blobs" / digest)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    assert torch.equal(load_state_dict("resnet50-imagenet")["weight"], torch.full((2,), 2.0))

    (repo / "blobs" / digest).write_bytes(b"damaged")
    with pytest.raises(WeightError, match=f"pytorch_model.bin has SHA-256 .* not the expected {digest}"):
        resolve_weight("resnet50-imagenet")


def top_class(model: torch.nn.Module, pixels: np.ndarray) -> int:
    with torch.no_grad():
        return int(model.eval()(to_tensor(pixels, "tf")[None]).argmax())


@pytest.mark.parametrize("variant", ["lite0", "lite1", "lite2"])
def test_efficientnet_lite_packages_hold_real_imagenet_weights(variant):
    model = EfficientNetLite(variant)
    model.load_state_dict(load_state_dict(f"efficientnet-{variant}-imagenet"))
    assert top_class(model, photos.chelsea()) in CATS
    assert top_class(model, photos.coffee()) in ESPRESSO_OR_CUP


def test_effnet_baseline_loads_pretrained_backbone_and_differs_from_random_init():
    config = resolve_config("effnet-lite")
    pretrained = build_model("effnet-lite", config)
    torch.manual_seed(0)
    random = build_model("effnet-lite", {**config, "pretrained": False})
    reference = EfficientNetLite("lite0")
    reference.load_state_dict(load_state_dict("efficientnet-lite0-imagenet"))
    assert torch.equal(pretrained.backbone._conv_stem.weight, reference._conv_stem.weight)
    assert not torch.equal(random.backbone._conv_stem.weight, reference._conv_stem.weight)
    assert top_class(pretrained.backbone, photos.chelsea()) in CATS
