"""The CLIP five-level prompt scorer: level expectation, fidelity loss, prompt conditioning, offline weights.
(Training, resuming and predicting are in test_iqa_training.py, which runs every registered architecture.)"""
import csv
import json
import math

import pytest
import torch
from torch.nn import functional as F

from moslab_science.iqa import IqaError, WeightError, build_model, predict_folder, resolve_config, train_run
from moslab_science.iqa.architectures.clip_iqa import character_ids, level_expectation
from moslab_science.iqa.losses import fidelity, fidelity_plcc_l1
from moslab_science.metrics import MetricsInputError
from tests.modeling.iqa_fixtures import make_study_data
from tests.modeling.pretrained_caches import CLIP_REPO as HF_REPO
from tests.modeling.pretrained_caches import save_tiny_clip


@pytest.fixture
def hf_cache(tmp_path, monkeypatch):
    """An empty Hugging Face cache and weight registry: nothing outside the test is found."""
    monkeypatch.setenv("MOSLAB_WEIGHTS", str(tmp_path / "registry" / "weights.toml"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    return tmp_path / "hf" / "hub"


def test_level_expectation_is_the_softmax_weighted_mean_of_levels_one_to_five():
    logits = torch.tensor([[0.0, math.log(2.0), 0.0, 0.0, 0.0], [7.0, 7.0, 7.0, 7.0, 7.0], [0.0, 0.0, 0.0, 0.0, 50.0]])
    # softmax of row 0 is (1, 2, 1, 1, 1) / 6: (1 + 4 + 3 + 4 + 5) / 6
    assert level_expectation(logits).tolist() == pytest.approx([17 / 6, 3.0, 5.0])


def test_fidelity_is_zero_for_identical_distributions_and_positive_otherwise():
    same = torch.tensor([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    assert fidelity(same, same).tolist() == pytest.approx([0.0, 0.0, 0.0], abs=1e-6)
    other = torch.tensor([[0.5, 0.3, 0.2], [0.0, 1.0, 0.0], [0.4, 0.6, 0.0]])
    # 1 - (sqrt(.1) + .3 + sqrt(.1)), 1 - 0, 1 - (sqrt(.2) + sqrt(.3))
    expected = [1 - 2 * math.sqrt(0.1) - 0.3, 1.0, 1 - math.sqrt(0.2) - math.sqrt(0.3)]
    assert fidelity(same, other).tolist() == pytest.approx(expected, abs=1e-6)


def test_fidelity_plcc_l1_prefers_the_right_order_at_equal_l1():
    targets = torch.tensor([1.0, 2.0, 3.0, 4.0])
    right = targets + torch.tensor([0.5, -0.5, 0.5, -0.5])
    wrong = torch.tensor([2.0, 1.0, 4.0, 3.0])  # same L1 (0.5 per item), two pairs reversed
    assert float(fidelity_plcc_l1(right, targets)) < float(fidelity_plcc_l1(wrong, targets))
    assert float(fidelity_plcc_l1(targets[:1], targets[:1])) == 0.0  # a batch of one: L1 only


def test_clip_iqa_scores_one_plus_four_times_the_probability_of_good_photo():
    torch.manual_seed(0)
    model = build_model("clip-iqa", resolve_config("clip-iqa", {"preset": "tiny"})).eval()
    ids, mask = character_ids(["Bad photo.", "Good photo."], vocab_size=64, max_length=96)
    assert torch.equal(model.prompt_ids, ids)  # CLIP-IQA's antonym pair, the worse first
    images = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        image = F.normalize(model.clip.get_image_features(pixel_values=images).pooler_output, dim=-1)
        text = F.normalize(model.clip.get_text_features(input_ids=ids, attention_mask=mask).pooler_output, dim=-1)
        logits = model.clip.logit_scale.exp() * image @ text.T
        good = logits.exp()[:, 1] / logits.exp().sum(dim=1)  # P("Good photo.") by hand
        scores = model(images)
    assert scores.tolist() == pytest.approx((1 + 4 * good).tolist(), abs=1e-6)
    assert all(1.0 <= score <= 5.0 for score in scores.tolist()) and len(set(scores.tolist())) == 3


def test_prompt_conditioned_scores_change_with_the_prompt():
    torch.manual_seed(0)
    model = build_model("clip-agi", resolve_config("clip-agi", {"preset": "tiny"})).eval()
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        first = model(images, ["a red cat on a sofa", "a dog"])
        again = model(images, ["a red cat on a sofa", "a dog"])
        changed = model(images, ["a blue car in the rain", "a dog"])
    assert torch.equal(first, again)
    assert first[0] != changed[0]
    assert first[1] == changed[1]  # each image is scored against its own prompt only


def test_prompt_conditioned_run_reads_the_prompt_column(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40))
    config = resolve_config("clip-agi", {"preset": "tiny", "train": {"epochs": 1}})
    train_run(config=config, table=table, images=images, out=tmp_path / "run", log=lambda message: None)
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(table.read_text().replace("scene ", "a completely different picture of "))
    scores = {}
    for label, prompts in (("original", table), ("renamed", renamed)):
        predict_folder(run_dir=tmp_path / "run", images=images, out=tmp_path / f"{label}.csv", table=prompts)
        with (tmp_path / f"{label}.csv").open() as stream:
            scores[label] = [float(row["score"]) for row in csv.DictReader(stream)]
    assert scores["original"] != scores["renamed"]
    with pytest.raises(IqaError, match="give a table with a 'prompt' column"):
        predict_folder(run_dir=tmp_path / "run", images=images, out=tmp_path / "none.csv")


def test_prompt_conditioned_run_refuses_a_table_without_prompts(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40))
    table.write_text("\n".join(line.rsplit(",", 1)[0] for line in table.read_text().splitlines()) + "\n")
    config = resolve_config("clip-agi", {"preset": "tiny"})
    with pytest.raises(MetricsInputError, match="missing column.s. prompt"):
        train_run(config=config, table=table, images=images, out=tmp_path / "run", log=lambda message: None)


def test_missing_pretrained_clip_names_the_model_and_the_cache(hf_cache):
    with pytest.raises(WeightError) as raised:  # the paper preset: its tokenizer files are looked for first
        build_model("clip", resolve_config("clip"))
    assert HF_REPO in str(raised.value) and str(hf_cache) in str(raised.value)
    tiny_pretrained = resolve_config("clip", {"preset": "tiny", "pretrained": True})
    with pytest.raises(WeightError) as raised:
        build_model("clip", tiny_pretrained)
    assert "'clip-vit-base-patch32' is missing" in str(raised.value)
    assert HF_REPO in str(raised.value) and str(hf_cache) in str(raised.value)


def test_clip_vocabulary_and_weights_are_read_from_the_offline_cache(hf_cache):
    """A tiny BPE vocabulary and a saved model in the cache layout of HF_HUB_OFFLINE: both are used."""
    overrides = save_tiny_clip(hf_cache)
    snapshot = hf_cache / ("models--" + HF_REPO.replace("/", "--")) / "snapshots" / "0123abcd"
    vocab = json.loads((snapshot / "vocab.json").read_text())
    config = resolve_config("clip", {**overrides, "pretrained": False})
    torch.manual_seed(0)
    saved = build_model("clip", config)  # the weights save_tiny_clip stored
    # "a photo with bad quality": begin, then one id per letter (a word's last one with </w>), then end
    assert saved.prompt_ids[0, :4].tolist() == [0, vocab["a</w>"], vocab["p"], vocab["h"]]
    assert saved.prompt_ids[0, -1] == 1
    loaded = build_model("clip", {**config, "pretrained": True})
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(saved.eval()(images), loaded.eval()(images))
