"""MA-AGIQA: LMM semantic features computed once and cached, the adaptive fusion module, missing LMM weights.
(Training, resuming and predicting: test_iqa_training.py.)"""
import math

import pytest
import torch

from moslab_science.iqa import WeightError, build_model, predict_folder, resolve_config, train_run
from moslab_science.iqa.architectures.ma_agiqa import QUESTIONS, AdaptiveFusion
from tests.conftest import write_image
from tests.modeling.iqa_fixtures import make_study_data


def tiny(overrides: dict | None = None) -> dict:
    return resolve_config("ma-agiqa", {"preset": "tiny", **(overrides or {})})


def test_the_paper_prompts_are_asked():
    assert QUESTIONS == (
        "Evaluate the input image to determine if its quality is compromised due to a lack of meaningful semantic "
        "content.",
        "Evaluate if the image quality is compromised due to violations of coherence.",
    )


def test_lmm_features_are_computed_once_then_read_from_the_cache(tmp_path):
    _, images = make_study_data(tmp_path, size=(40, 40))
    names = sorted(path.name for path in images.iterdir())
    cache = tmp_path / "cache"
    first = build_model("ma-agiqa", tiny())
    computed = first.prepare(images=images, names=names, cache=cache, device=torch.device("cpu"))
    assert (computed.computed, computed.read, computed.loads) == (2 * len(names), 0, 1)
    assert first.semantic[names[0]].shape == (2, 16)  # one feature per question, the LMM's hidden size
    assert not torch.equal(first.semantic[names[0]][0], first.semantic[names[0]][1])  # the two prompts differ

    second = build_model("ma-agiqa", tiny())
    cached = second.prepare(images=images, names=names, cache=cache, device=torch.device("cpu"))
    assert (cached.computed, cached.read) == (0, 2 * len(names))
    assert cached.loads == 0  # the LMM was never even built
    for name in names:
        assert torch.equal(first.semantic[name], second.semantic[name])

    write_image(images / names[0], size=(40, 40), seed=99)  # a changed image is read again by the LMM
    changed = build_model("ma-agiqa", tiny()).prepare(images=images, names=names, cache=cache,
                                                      device=torch.device("cpu"))
    assert (changed.computed, changed.read) == (2, 2 * len(names) - 2)
    other_lmm = tiny({"model": {"lmm": {"seed": 1}}})  # another LMM: other cache entries
    again = build_model("ma-agiqa", other_lmm).prepare(images=images, names=names[:1], cache=cache,
                                                        device=torch.device("cpu"))
    assert again.computed == 2


def test_training_runs_the_lmm_only_before_the_first_epoch(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40))
    logs = []
    config = tiny()
    train_run(config=config, table=table, images=images, out=tmp_path / "run", stop_after_epoch=1, log=logs.append)
    train_run(config=config, table=table, images=images, out=tmp_path / "run", resume=True, log=logs.append)
    features = [line for line in logs if line.startswith("LMM features")]
    cache = tmp_path / "run" / "lmm_features"
    assert features == [f"LMM features: 0 read from {cache}, 24 computed",
                        f"LMM features: 24 read from {cache}, 0 computed"]
    assert len(list(cache.glob("*.pt"))) == 24
    predict_folder(run_dir=tmp_path / "run", images=images, out=tmp_path / "scores.csv")
    assert len(list(cache.glob("*.pt"))) == 24  # predicting the same images reads the cache


def test_fusion_gate_weights_each_feature_and_regresses_their_weighted_sum():
    fusion = AdaptiveFusion([2, 3, 3], hidden=2, drop=0.0).eval()
    with torch.no_grad():
        quality, first, second = fusion.projections[0], fusion.projections[1][0], fusion.projections[2][0]
        quality.weight.copy_(torch.eye(2))
        quality.bias.zero_()
        first.weight.copy_(torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
        first.bias.zero_()
        second.weight.copy_(torch.tensor([[0.0, 0.0, 1.0], [0.0, 0.0, 2.0]]))
        second.bias.zero_()
        fusion.gate.weight.zero_()
        fusion.gate.bias.copy_(torch.tensor([0.0, math.log(3.0), -math.log(3.0)]))  # sigmoid: 1/2, 3/4, 1/4
        fusion.regressor.weight.copy_(torch.tensor([[1.0, 10.0]]))
        fusion.regressor.bias.fill_(0.5)
        score, weights = fusion([torch.tensor([[1.0, 2.0]]), torch.tensor([[4.0, -8.0, 9.0]]),
                                 torch.tensor([[9.0, 9.0, 2.0]])])
    assert weights.tolist() == [pytest.approx([0.5, 0.75, 0.25])]  # one sigmoid weight per feature
    # projections (1, 2), ReLU(4, -8) = (4, 0), (2, 4); fused = (0.5 + 3 + 0.5, 1 + 0 + 1) = (4, 2)
    assert score.tolist() == pytest.approx([4.0 + 10.0 * 2.0 + 0.5])


def test_missing_lmm_weight_stops_the_run_naming_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("MOSLAB_WEIGHTS", str(tmp_path / "registry" / "weights.toml"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    table, images = make_study_data(tmp_path, size=(40, 40))
    config = tiny({"model": {"lmm": {"weight": "llava-1.5-7b"}}})
    with pytest.raises(WeightError) as raised:
        train_run(config=config, table=table, images=images, out=tmp_path / "run", log=lambda message: None)
    assert "'llava-1.5-7b' is missing" in str(raised.value) and "llava-hf/llava-1.5-7b-hf" in str(raised.value)
    assert "model.safetensors.index.json" in str(raised.value)
    with pytest.raises(WeightError, match="'vit-base-patch8-224-imagenet' is missing"):
        build_model("ma-agiqa", tiny({"pretrained": True}))
