"""One launch request builder: the preset with only what the form, the API or a script changes."""
import pytest

from moslab_science.benchmarks import PRESETS, Protocol
from moslab_science.benchmarks.launch import launch_request, merged
from moslab_science.errors import DomainError


def test_nothing_changed_is_the_preset():
    request = launch_request(preset="vquala2025", changes={"scheme": "", "seed": None, "train_groups": ()})
    preset = PRESETS["vquala2025"]
    assert (request.protocol, request.models, request.hyperparameters) == (preset.protocol, list(preset.models),
                                                                           preset.hyperparameters)


def test_ratios_in_either_syntax_give_the_same_protocol():
    colon = launch_request(preset="ntire2024", changes={"ratios": "8:1:1", "seed": 4, "repeats": 3})
    named = launch_request(preset="ntire2024", changes={"ratios": "train=8,val=1,test=1", "seed": 4, "repeats": 3})
    assert colon == named
    assert colon.protocol == Protocol(scheme="seeded", ratios=(("train", 8.0), ("val", 1.0), ("test", 1.0)),
                                      seed=4, repeats=3, rank_by="ntire2024")


def test_a_zero_shot_launch_from_a_seeded_preset_splits_nothing():
    request = launch_request(preset="ntire2024", changes={"scheme": "zero_shot"}, models=["niqe"])
    assert request.protocol.ratios == () and request.protocol.problems() == [] and request.models == ["niqe"]


def test_groups_and_hyperparameters_are_laid_over_the_preset():
    request = launch_request(preset="ma-agiqa", changes={"scheme": "cross_group", "cross_column": " enhancer ",
                                                        "train_groups": ["hat"], "test_groups": ["esrgan"]},
                             hyperparameters={"train": {"epochs": 2}})
    assert (request.protocol.cross_column, request.protocol.train_groups, request.protocol.test_groups) == \
        ("enhancer", ("hat",), ("esrgan",))
    assert request.hyperparameters["train"] == {**PRESETS["ma-agiqa"].hyperparameters["train"], "epochs": 2}
    assert request.hyperparameters["optim"] == PRESETS["ma-agiqa"].hyperparameters["optim"]


def test_merged_lays_nested_keys_over_and_keeps_the_base_unchanged():
    base = {"train": {"epochs": 30, "loss": "mse"}, "optim": {"lr": 1e-5}}
    assert merged(base, {"train": {"epochs": 2}, "preset": "tiny"}) == \
        {"train": {"epochs": 2, "loss": "mse"}, "optim": {"lr": 1e-5}, "preset": "tiny"}
    assert base["train"]["epochs"] == 30


@pytest.mark.parametrize(("preset", "changes", "says"), [
    ("nope", {}, "Unknown preset 'nope'"),
    ("custom", {"epochs": 3}, "Not protocol fields: epochs"),
    ("custom", {"ratios": "7:1"}, "2 weights, not 3"),
    ("custom", {"ratios": "train=7,val"}, "part=weight"),
])
def test_bad_requests_are_refused_with_what_to_fix(preset, changes, says):
    with pytest.raises(DomainError, match=says):
        launch_request(preset=preset, changes=changes)
