"""HyperIQA against the official code (SSL92/hyperIQA c42e727): the official state-dict layout loads strictly
through the registry as "pretrained": "<official checkpoint>", and the forward pass gives the official outputs
and intermediates (../shared/data/official-equivalence/hyperiqa)."""
import numpy as np
import pytest
import torch

from moslab_science.iqa import WeightError, build_model, resolve_config
from tests.modeling.equivalence.official_fixtures import (
    OUTPUT_TOLERANCE,
    Capture,
    fixture_folder,
    intermediate_mismatches,
    manifest,
    official_state,
    pseudo_weight,
    register_checkpoint,
)

pytestmark = pytest.mark.shared_data
CHECKPOINT = "hyperiqa-koniq10k"


@pytest.fixture(scope="module")
def folder():
    return fixture_folder("hyperiqa")


@pytest.fixture(scope="module")
def state(folder):
    fresh = build_model("hyperiqa", resolve_config("hyperiqa", {"pretrained": False})).state_dict()
    return official_state(folder, lambda key: fresh[key])


def official_model(registry, state):
    register_checkpoint(registry, CHECKPOINT, state)
    return build_model("hyperiqa", resolve_config("hyperiqa", {"pretrained": CHECKPOINT})).eval()


def hooked_forward(model, folder):
    """The output, and every official intermediate that moslab's modules expose."""
    x = torch.from_numpy(np.load(folder / "input.npy"))
    modules = {f"res.layer{i}.output.channels0-7.npy": getattr(model.res, f"layer{i}") for i in (1, 2, 3)}
    modules |= {"res.layer4.output.hyper_in_feat.npy": model.res.layer4, "hypernet.conv1.output.npy": model.conv1}
    modules |= {f"hypernet.out.target_fc{i}w.npy": getattr(model, f"fc{i}w_conv") for i in (1, 2, 3, 4)}
    modules |= {f"hypernet.out.target_fc{i}b.npy": getattr(model, f"fc{i}b_fc") for i in (1, 2, 3, 4)}
    modules |= {"hypernet.out.target_fc5w.npy": model.fc5w_fc, "hypernet.out.target_fc5b.npy": model.fc5b_fc}
    capture = Capture(modules)
    with torch.no_grad():
        output = model(x)
        capture.outputs["res.out.target_in_vec.npy"] = model.res.forward_lda(x)[1]
    return output, capture.outputs


def test_state_dict_has_the_official_names_shapes_and_order(folder):
    own = build_model("hyperiqa", resolve_config("hyperiqa", {"pretrained": False})).state_dict()
    official = [(entry["key"], tuple(entry["shape"])) for entry in manifest(folder)["state_dict"]]
    assert [(key, tuple(value.shape)) for key, value in own.items()] == official


def test_official_checkpoint_gives_the_official_outputs_and_intermediates(folder, state, weight_registry):
    output, intermediates = hooked_forward(official_model(weight_registry, state), folder)
    np.testing.assert_allclose(output.numpy(), np.load(folder / "output.npy"), **OUTPUT_TOLERANCE)
    assert intermediate_mismatches(folder, intermediates) == []


def test_a_renamed_key_is_refused_by_name(state, weight_registry):
    renamed = {("res.layer3.1.conv2.weight_renamed" if key == "res.layer3.1.conv2.weight" else key): value
               for key, value in state.items()}
    with pytest.raises(WeightError) as raised:
        official_model(weight_registry, renamed)
    assert raised.value.problems == ["res.layer3.1.conv2.weight_renamed: no tensor res.layer3.1.conv2.weight_renamed "
                                     "in moslab's model", "res.layer3.1.conv2.weight: missing from the file"]


def test_layers_in_another_order_miss_the_official_output(folder, state, weight_registry):
    """Two ResNet blocks of the same shape run in swapped order: the load still succeeds (same names and
    shapes), so only the comparison with the official numbers can catch it, and it does."""
    model = official_model(weight_registry, state)
    blocks = model.res.layer3
    blocks[1], blocks[2] = blocks[2], blocks[1]
    output, intermediates = hooked_forward(model, folder)
    assert not np.allclose(output.numpy(), np.load(folder / "output.npy"), **OUTPUT_TOLERANCE)
    assert "res.layer3.output.channels0-7.npy" in " ".join(intermediate_mismatches(folder, intermediates))


def test_imagenet_resnet_file_in_torchvision_names_fills_the_trunk(folder, weight_registry):
    """The official HyperIQA loads torchvision's resnet50 file into ``res`` (its LDA branches stay new): a file
    with those names (the official ``res.*`` keys without the prefix, plus the classifier) fills moslab's trunk."""
    entries = [entry for entry in manifest(folder)["state_dict"]
               if entry["key"].startswith("res.") and not entry["key"].startswith("res.lda")]
    torchvision = {entry["key"].removeprefix("res."): pseudo_weight(entry["key"], tuple(entry["shape"]), True)
                   for entry in entries if entry["dtype"] == "float32"}
    torchvision |= {"fc.weight": torch.zeros(1000, 2048), "fc.bias": torch.zeros(1000)}
    register_checkpoint(weight_registry, "resnet50-imagenet", torchvision)
    trunk = build_model("hyperiqa", resolve_config("hyperiqa")).res.state_dict()
    assert all(torch.equal(trunk[key], value) for key, value in torchvision.items() if not key.startswith("fc."))
    assert len(torchvision) - 2 == len([key for key in trunk if not key.startswith("lda")
                                        and not key.endswith("num_batches_tracked")])

    del torchvision["layer2.0.conv1.weight"]
    register_checkpoint(weight_registry, "resnet50-imagenet", torchvision)
    with pytest.raises(WeightError, match="does not match the trunk: missing \\['layer2.0.conv1.weight'\\]"):
        build_model("hyperiqa", resolve_config("hyperiqa"))
