"""The SigLIP five-level prompt scorer: sigmoid-trained pair logits turned into a softmax over levels, prompt
conditioning, offline tokenizer and weights. (Training, resuming and predicting: test_iqa_training.py.)"""
import pytest
import torch
from torch.nn import functional as F

from moslab_science.iqa import WeightError, build_model, resolve_config, train_run
from moslab_science.iqa.architectures.clip_iqa import quality_prompts
from moslab_science.iqa.architectures.lmm import word_tokenizer
from tests.modeling.iqa_fixtures import make_study_data
from tests.modeling.pretrained_caches import SIGLIP_REPO, save_tiny_siglip


@pytest.fixture
def hf_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOSLAB_WEIGHTS", str(tmp_path / "registry" / "weights.toml"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    return tmp_path / "hf" / "hub"


def test_score_is_the_level_expectation_of_scaled_cosines_plus_bias():
    torch.manual_seed(0)
    model = build_model("siglip", resolve_config("siglip", {"preset": "tiny"})).eval()
    with torch.no_grad():
        model.siglip.logit_bias.fill_(-3.0)
        images = torch.randn(2, 3, 32, 32)
        image = F.normalize(model.siglip.get_image_features(pixel_values=images).pooler_output, dim=-1)
        text = F.normalize(model.siglip.get_text_features(input_ids=model.prompt_ids).pooler_output, dim=-1)
        pairs = model.siglip.logit_scale.exp() * image @ text.T - 3.0  # SigLIP's sigmoid logits
        expected = (pairs.softmax(dim=-1) * torch.arange(1.0, 6.0)).sum(dim=-1)
        assert torch.allclose(model(images, levels=True), pairs)
        assert torch.allclose(model(images), expected)
        model.siglip.logit_bias.fill_(5.0)  # the bias is shared by the five prompts: the softmax ignores it
        assert torch.allclose(model(images), expected, atol=1e-6)
    assert model.prompt_ids.shape == (5, 96)  # padded to the full length, as SigLIP was trained


def test_prompt_conditioned_scores_change_with_the_prompt_only_for_their_image():
    torch.manual_seed(0)
    model = build_model("siglip-agi", resolve_config("siglip-agi", {"preset": "tiny"})).eval()
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        first = model(images, ["a red cat on a sofa", "a dog"])
        changed = model(images, ["a blue car in the rain", "a dog"])
    assert first[0] != changed[0] and first[1] == changed[1]


def test_level_losses_train_the_prompt_conditioned_scorer(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40))
    config = resolve_config("siglip-agi", {"preset": "tiny", "train": {"epochs": 1, "loss": "level_ce"}})
    summary = train_run(config=config, table=table, images=images, out=tmp_path / "run", log=lambda message: None)
    assert summary["counts"]["test"] == 3 and summary["epochs"] == 1


def test_missing_pretrained_siglip_names_the_model_and_the_cache(hf_cache):
    with pytest.raises(WeightError) as raised:
        build_model("siglip", resolve_config("siglip"))
    assert SIGLIP_REPO in str(raised.value) and str(hf_cache) in str(raised.value)
    with pytest.raises(WeightError) as raised:
        build_model("siglip", resolve_config("siglip", {"preset": "tiny", "pretrained": True}))
    assert "'siglip-base-patch16-224' is missing" in str(raised.value) and SIGLIP_REPO in str(raised.value)


def test_siglip_tokenizer_and_weights_are_read_from_the_offline_cache(hf_cache):
    overrides = save_tiny_siglip(hf_cache)
    tokenizer = word_tokenizer(quality_prompts())  # the tokenizer save_tiny_siglip stored
    config = resolve_config("siglip", {**overrides, "pretrained": False})
    torch.manual_seed(0)
    saved = build_model("siglip", config)  # the weights save_tiny_siglip stored
    words = tokenizer.get_vocab()
    assert saved.prompt_ids[0, :4].tolist() == [words["a"], words["photo"], words["with"], words["bad"]]
    assert saved.prompt_ids[0, -1] == words["<pad>"] and saved.prompt_ids.shape[1] == 96
    loaded = build_model("siglip", {**config, "pretrained": True})
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(saved.eval()(images), loaded.eval()(images))
