"""MANIQA against the official code (IIGROUP/MANIQA f573d86): the official state-dict layout loads strictly
through the registry as "pretrained": "<official checkpoint>", and the forward pass gives the official outputs
and intermediates (../shared/data/official-equivalence/maniqa)."""
import numpy as np
import pytest
import torch

from moslab_science.iqa import build_model, resolve_config
from tests.modeling.equivalence.official_fixtures import (
    OUTPUT_TOLERANCE,
    Capture,
    fixture_folder,
    intermediate_mismatches,
    manifest,
    official_state,
    register_checkpoint,
)

pytestmark = pytest.mark.shared_data
CHECKPOINT = "maniqa-koniq10k"


@pytest.fixture(scope="module")
def folder():
    return fixture_folder("maniqa")


def maniqa_state(folder) -> dict:
    fresh = build_model("maniqa", resolve_config("maniqa", {"pretrained": False})).state_dict()
    return official_state(folder, lambda key: fresh[key])


def test_state_dict_has_the_official_names_shapes_and_order(folder):
    own = build_model("maniqa", resolve_config("maniqa", {"pretrained": False})).state_dict()
    official = [(entry["key"], tuple(entry["shape"])) for entry in manifest(folder)["state_dict"]]
    assert [(key, tuple(value.shape)) for key, value in own.items()] == official


def test_official_checkpoint_gives_the_official_outputs_and_intermediates(folder, weight_registry):
    register_checkpoint(weight_registry, CHECKPOINT, maniqa_state(folder))
    model = build_model("maniqa", resolve_config("maniqa", {"pretrained": CHECKPOINT})).eval()
    stages = {"vit.patch_embed.output.tokens0-63.npy": model.vit.patch_embed}
    stages |= {f"vit.blocks.{i}.output.tokens0-64.npy": model.vit.blocks[i] for i in (0, 5, 6, 7, 8, 9)}
    stages |= {
        "stage1.tablock1.1.output.channels0-63.npy": model.tablock1[1],
        "stage1.conv1.output.channels0-63.npy": model.conv1,
        "stage1.swintransformer1.output.channels0-63.npy": model.swintransformer1,
        "stage2.tablock2.1.output.channels0-63.npy": model.tablock2[1],
        "stage2.conv2.output.channels0-63.npy": model.conv2,
        "stage2.swintransformer2.output.npy": model.swintransformer2,
        "head.fc_score.per_token.npy": model.fc_score,
        "head.fc_weight.per_token.npy": model.fc_weight,
    }
    capture = Capture(stages)
    with torch.no_grad():
        output = model(torch.from_numpy(np.load(folder / "input.npy")))
    np.testing.assert_allclose(output.numpy(), np.load(folder / "output.npy"), **OUTPUT_TOLERANCE)
    assert intermediate_mismatches(folder, capture.outputs) == []
