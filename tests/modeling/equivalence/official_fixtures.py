"""The official-equivalence fixtures of ../shared/data/official-equivalence and of this repository's
tests/fixtures/official-equivalence (made the same way, by its generate.py): pseudo-weights rebuilt from each
manifest (every tensor checked against its SHA-256), registered as a user registers an official checkpoint, and
the official outputs and intermediates compared within the fixture's stated tolerances."""
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from tests.conftest import SHARED_DATA
from tests.modeling import iqa_fixtures  # noqa: F401  (one torch thread: the fixtures were made with one)
from tests.modeling.equivalence.recipe import pseudo_weight, sha256
from tests.studies.mos.mos_shared_data import require_shared

EQUIVALENCE = SHARED_DATA / "official-equivalence"
OWN_EQUIVALENCE = Path(__file__).resolve().parents[2] / "fixtures" / "official-equivalence"
OUTPUT_TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}  # each fixture README's suggestion
INTERMEDIATE_RTOL = 1e-4  # and atol = 1e-4 x the full tensor's std


def fixture_folder(name: str) -> Path:
    return require_shared(EQUIVALENCE / name / "manifest.json").parent


def own_fixture_folder(name: str) -> Path:
    """A fixture made for moslab from the official code (tests/fixtures/official-equivalence/NAME)."""
    return OWN_EQUIVALENCE / name


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def official_state(folder: Path, constructed: Callable[[str], torch.Tensor]) -> dict[str, torch.Tensor]:
    """The official state dict with pseudo-weights, in the official order. Entries the official code keeps as
    constructed (Swin position indexes and masks) come from moslab's freshly built model via `constructed`
    (official key -> tensor), so their SHA-256 check also proves moslab builds the same constants."""
    data = manifest(folder)
    lecun = data["pseudo_weight_recipe_variant"]["lecun_nd_weights"]
    state, wrong = {}, []
    for entry in data["state_dict"]:
        key = entry["key"]
        if entry["rule"].startswith("kept_as_constructed"):
            value = constructed(key).clone()
        else:
            value = pseudo_weight(key, tuple(entry["shape"]), lecun)
        if sha256(value) != entry["sha256"]:
            wrong.append(key)
        state[key] = value
    assert not wrong, f"{len(wrong)} rebuilt tensors differ from the manifest's SHA-256, e.g. {wrong[:3]}"
    return state


def register_checkpoint(registry: Path, name: str, state: dict[str, torch.Tensor]) -> None:
    """Save `state` as an official checkpoint file and list it in the weight registry, as a user does."""
    registry.mkdir(parents=True, exist_ok=True)
    path = registry / f"{name}.pth"
    torch.save(state, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (registry / "weights.toml").write_text(
        f'[weights.{name}]\npath = "{path.name}"\nsha256 = "{digest}"\nsource = "pseudo-weights of {name}"\n'
    )


class Capture:
    """Forward-hook outputs of named modules, for comparison with the official intermediates."""

    def __init__(self, modules: dict[str, nn.Module]):
        self.outputs: dict[str, torch.Tensor] = {}
        self.handles = [module.register_forward_hook(self._keep(name)) for name, module in modules.items()]

    def _keep(self, name: str):
        def hook(module, inputs, output):
            self.outputs[name] = output.detach()
        return hook


def intermediate_mismatches(folder: Path, got: dict[str, torch.Tensor]) -> list[str]:
    """Each official intermediate in `got` (keyed by file name: the full tensor, reshaped to the official layout
    when only the shape differs, else sliced as the fixture sliced it) that differs beyond rtol 1e-4,
    atol 1e-4 x std, with its largest error in units of std."""
    files = json.loads((folder / "intermediates" / "index.json").read_text())["files"]
    index = {entry["file"]: entry for entry in files}
    problems = []
    for file, tensor in got.items():
        expected = np.load(folder / "intermediates" / file)
        actual = tensor.numpy()
        if actual.size == expected.size:
            actual = actual.reshape(expected.shape)
        else:
            actual = actual[tuple(slice(0, size) for size in expected.shape)]
        std = index[file]["full_tensor"]["std"]
        if not np.allclose(actual, expected, rtol=INTERMEDIATE_RTOL, atol=INTERMEDIATE_RTOL * std):
            problems.append(f"{file}: max |error| = {np.abs(actual - expected).max() / std:.3g} x std")
    return problems
