"""The spatial-temporal adapter of AIGC-VQA's alignment branch against the official ST-Adapter (linziyi96/st-adapter
b914b38, ``models_adapter.Adapter(768, 64, (3, 3, 3))``): the official parameters load strictly and the output and
intermediates are the official ones (tests/fixtures/official-equivalence/st-adapter). The official AIGC-VQA code
was not found, so the BLIP encoders around the adapter are not covered here."""
import numpy as np
import pytest
import torch

from moslab_science.iqa import WeightError
from moslab_science.iqa.official import load_official_state
from moslab_science.vqa.adapter import SpatialTemporalAdapter
from tests.modeling.equivalence.official_fixtures import (
    OUTPUT_TOLERANCE,
    Capture,
    intermediate_mismatches,
    manifest,
    official_state,
    own_fixture_folder,
)

FOLDER = own_fixture_folder("st-adapter")
FRAMES, GRID = 4, 14


@pytest.fixture(scope="module")
def state() -> dict[str, torch.Tensor]:
    return official_state(FOLDER, lambda key: pytest.fail(f"{key}: the adapter has no constants"))


def official_adapter(state) -> SpatialTemporalAdapter:
    args = manifest(FOLDER)["constructor_args"]
    adapter = SpatialTemporalAdapter(args["in_channels"], bottleneck=args["adapter_channels"],
                                     kernel=tuple(args["kernel_size"]))
    load_official_state(adapter, state, what="ST-Adapter")
    return adapter


def test_official_parameters_give_the_official_output_and_intermediates(state):
    adapter = official_adapter(state)
    capture = Capture({"fc1": adapter.fc1, "conv.output.npy": adapter.conv, "fc2": adapter.fc2})
    tokens = torch.from_numpy(np.load(FOLDER / "input.npy"))  # (B*T, 1 + H*W, C), B = 1
    with torch.no_grad():
        output = adapter(tokens.unsqueeze(0), (GRID, GRID))[0]
    np.testing.assert_allclose(output.numpy(), np.load(FOLDER / "output.npy"), **OUTPUT_TOLERANCE)
    per_frame = {"fc1.output.npy": capture.outputs.pop("fc1")[0],  # (1, T, HW, r) -> the official (B*T, HW, r)
                 "fc2.output.channels0-127.npy": capture.outputs.pop("fc2")[0]}
    assert intermediate_mismatches(FOLDER, {**capture.outputs, **per_frame}) == []


def test_the_official_names_are_required(state):
    renamed = {key.replace("fc1.", "down."): value for key, value in state.items()}
    with pytest.raises(WeightError) as raised:
        official_adapter(renamed)
    assert raised.value.problems[:2] == ["down.weight: no tensor down.weight in moslab's model",
                                         "down.bias: no tensor down.bias in moslab's model"]
