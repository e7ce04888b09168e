"""DOVER's aesthetic branch (ConvNeXt-3D tiny + token head, VQAssessment/DOVER f1ddc96) against the official code:
its checkpoint layout loads strictly into AIGC-VQA's aesthetic branch (model.aesthetic.backbone = "convnext3d")
through the registry, and the score map and intermediates are the official ones
(tests/fixtures/official-equivalence/dover-aesthetic, made by that folder's generate.py)."""
import numpy as np
import pytest
import torch

from moslab_science.iqa import WeightError, weights
from moslab_science.vqa.aigc_vqa import DoverAestheticBranch, dover_key
from moslab_science.vqa.registry import resolve_config
from tests.modeling.equivalence.official_fixtures import (
    OUTPUT_TOLERANCE,
    Capture,
    fixture_folder,
    intermediate_mismatches,
    manifest,
    official_state,
    own_fixture_folder,
    register_checkpoint,
)
from tests.modeling.equivalence.test_dover_technical import dover_state as dover_technical_state
from tests.modeling.equivalence.test_dover_technical import normalised_clip  # the same frames, the same formula
from tests.modeling.equivalence.test_dover_technical import paper_branch as technical_branch

FOLDER = own_fixture_folder("dover-aesthetic")


def aesthetic_key(key: str) -> str:
    return dover_key(key, "aesthetic")


def paper_branch() -> DoverAestheticBranch:
    config = resolve_config("aigc-vqa", {"pretrained": False, "model": {"aesthetic": {"backbone": "convnext3d"}}})
    return DoverAestheticBranch(**config["model"]["aesthetic"])


@pytest.fixture(scope="module")
def state() -> dict[str, torch.Tensor]:
    return official_state(FOLDER, lambda key: pytest.fail(f"{key}: DOVER's aesthetic branch has no constants"))


def test_every_official_key_has_its_place_in_order():
    """Same names in the same order; same shapes, DOVER's 1x1x1 head convolutions being moslab's linear layers."""
    own = paper_branch().state_dict()
    entries = manifest(FOLDER)["state_dict"]
    assert [aesthetic_key(entry["key"]) for entry in entries] == list(own)
    for entry in entries:
        shape, name = tuple(entry["shape"]), aesthetic_key(entry["key"])
        assert tuple(own[name].shape) == (shape[:2] if name.startswith("head.") and len(shape) == 5 else shape)


def test_official_checkpoint_gives_the_official_score_map_and_intermediates(state, weight_registry):
    register_checkpoint(weight_registry, "dover", state)
    branch = paper_branch()
    branch.load_pretrained(weights.load_state_dict("dover"))  # what vqa.registry.build_model does per branch
    branch.eval()
    backbone = branch.backbone
    capture = Capture({"backbone.downsample_layers.0.output.channels0-7.t0-3.npy": backbone.downsample_layers[0],
                       "backbone.stages.0.output.channels0-7.t0-3.npy": backbone.stages[0],
                       "backbone.stages.1.output.channels0-15.npy": backbone.stages[1],
                       "backbone.stages.2.output.channels0-63.npy": backbone.stages[2],
                       "backbone.stages.3.output.channels0-63.npy": backbone.stages[3],
                       "backbone.output": backbone, "head.fc_hid": branch.head[0]})
    clip = normalised_clip(FOLDER)
    with torch.no_grad():
        score_map = branch.score_map(clip)
        score = branch(clip.transpose(1, 2))  # the run's input layout: (B, T, 3, S, S)
    expected = np.load(FOLDER / "output.npy")
    np.testing.assert_allclose(score_map.numpy().reshape(expected.shape), expected, **OUTPUT_TOLERANCE)
    np.testing.assert_allclose(score.numpy(), [expected.mean()], rtol=1e-5)  # the score evaluate_one_video reports
    channels_first = {  # moslab keeps these channels-last: (B, T, H, W, C) -> (B, C, T, H, W)
        "backbone.output.channels0-127.npy": capture.outputs.pop("backbone.output").permute(0, 4, 1, 2, 3),
        "head.fc_hid.output.npy": capture.outputs.pop("head.fc_hid").permute(0, 4, 1, 2, 3),
    }
    assert intermediate_mismatches(FOLDER, {**capture.outputs, **channels_first}) == []


def test_a_renamed_key_is_refused_by_name(state):
    old = "aesthetic_backbone.stages.2.4.gamma"
    renamed = {(old + "_renamed" if key == old else key): value for key, value in state.items()}
    with pytest.raises(WeightError) as raised:
        paper_branch().load_pretrained(renamed)
    assert raised.value.problems == [f"{old}_renamed: no tensor backbone.stages.2.4.gamma_renamed in moslab's model",
                                     "backbone.stages.2.4.gamma: missing from the file"]


@pytest.mark.shared_data
def test_one_dover_checkpoint_fills_both_dover_branches(state, weight_registry):
    """DOVER.pth holds both branches: registered once as "dover", its technical keys fill the technical branch and
    its aesthetic keys the aesthetic one, each strictly, each ignoring the other's keys."""
    technical_state = dover_technical_state(fixture_folder("dover-technical"))
    register_checkpoint(weight_registry, "dover", {**technical_state, **state})
    both = weights.load_state_dict("dover")
    aesthetic = paper_branch()
    aesthetic.load_pretrained(both)
    technical = technical_branch()
    technical.load_pretrained(both)
    assert torch.equal(aesthetic.head[0].weight, state["aesthetic_head.fc_hid.weight"].flatten(1))
    assert torch.equal(technical.head[0].weight, technical_state["technical_head.fc_hid.weight"].flatten(1))
