"""DOVER's technical branch (FAST-VQA fragments through the gated-bias Video Swin-T, VQAssessment/DOVER f1ddc96)
against the official code: its checkpoint layout loads strictly into AIGC-VQA's technical branch through the
registry (model.technical.weight = "dover"), and the score map and intermediates are the official ones
(../shared/data/official-equivalence/dover-technical)."""
import hashlib

import numpy as np
import pytest
import torch

from moslab_science.iqa import WeightError, weights
from moslab_science.vqa.aigc_vqa import TechnicalBranch, dover_key
from moslab_science.vqa.registry import resolve_config
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
MEAN = torch.tensor([123.675, 116.28, 103.53])  # evaluate_one_video.py's normalisation (0..255 scale)
STD = torch.tensor([58.395, 57.12, 57.375])


@pytest.fixture(scope="module")
def folder():
    return fixture_folder("dover-technical")


def paper_branch() -> TechnicalBranch:
    return TechnicalBranch(**resolve_config("aigc-vqa", {"pretrained": False})["model"]["technical"])


def dover_state(folder) -> dict[str, torch.Tensor]:
    buffers = dict(paper_branch().named_buffers())
    return official_state(folder, lambda key: buffers[dover_key(key)])


def normalised_clip(folder) -> torch.Tensor:
    """(1, 3, 32, 224, 224), as the fixture README (and evaluate_one_video.py) normalises the frames."""
    frames = torch.from_numpy(np.load(folder / "input_frames_uint8.npy")).float()  # (3, T, H, W)
    clip = ((frames.permute(1, 2, 3, 0) - MEAN) / STD).permute(3, 0, 1, 2).unsqueeze(0)
    digest = hashlib.sha256(clip.contiguous().numpy().tobytes()).hexdigest()
    assert digest == manifest(folder)["files_sha256"]["normalised_input_sha256_float32_bytes"]
    return clip


def test_every_official_key_has_its_place_in_order(folder):
    branch = paper_branch()
    own = {**branch.state_dict(), **dict(branch.named_buffers())}
    mapped = [(dover_key(entry["key"]), tuple(entry["shape"])) for entry in manifest(folder)["state_dict"]]
    shapes = [(name, tuple(own[name].shape) if not name.startswith("head.") else shape) for name, shape in mapped]
    assert shapes == mapped
    persistent = [name for name, _ in mapped if name in branch.state_dict()]
    assert persistent == list(branch.state_dict())


def test_official_checkpoint_gives_the_official_score_map_and_intermediates(folder, weight_registry):
    register_checkpoint(weight_registry, "dover", dover_state(folder))
    branch = paper_branch()
    branch.load_pretrained(weights.load_state_dict("dover"))  # what vqa.registry.build_model does per branch
    branch.eval()
    layers = {"backbone.patch_embed.output.channels0-7.t0-3.npy": branch.backbone.patch_embed,
              "backbone.layers.0.output.channels0-7.npy": branch.backbone.layers[0],
              "backbone.layers.1.output.channels0-15.npy": branch.backbone.layers[1],
              "backbone.layers.2.output.channels0-63.npy": branch.backbone.layers[2],
              "backbone.layers.3.output.channels0-63.npy": branch.backbone.layers[3]}
    capture = Capture({**layers, "backbone.output": branch.backbone, "head.fc_hid": branch.head[0]})
    with torch.no_grad():
        score_map = branch.score_map(normalised_clip(folder))
    expected = np.load(folder / "output.npy")
    np.testing.assert_allclose(score_map.numpy().reshape(expected.shape), expected, **OUTPUT_TOLERANCE)
    channels_first = {  # moslab keeps these channels-last: (B, T, H, W, C) -> (B, C, T, H, W)
        "backbone.output.channels0-127.npy": capture.outputs.pop("backbone.output").permute(0, 4, 1, 2, 3),
        "head.fc_hid.output.npy": capture.outputs.pop("head.fc_hid").permute(0, 4, 1, 2, 3),
    }
    assert intermediate_mismatches(folder, {**capture.outputs, **channels_first}) == []


def test_a_checkpoint_missing_a_fragment_table_is_refused_by_name(folder):
    key = "technical_backbone.layers.1.blocks.0.attn.fragment_position_bias_table"
    state = {name: value for name, value in dover_state(folder).items() if name != key}
    with pytest.raises(WeightError) as raised:
        paper_branch().load_pretrained(state)
    assert raised.value.problems == ["backbone.layers.1.blocks.0.attn.fragment_position_bias_table: missing from "
                                     "the file"]
