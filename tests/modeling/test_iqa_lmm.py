"""The Q-Align-style LMM scorer: level-word scoring, equal-width level bins, DeQA-Score soft labels, LoRA, and
pretrained model folders read offline. (Training, resuming and predicting: test_iqa_training.py.)"""
import csv
import hashlib
import math

import numpy as np
import pytest
import torch

from moslab_science.datasets.formats.levels import level_index
from moslab_science.iqa import IqaError, WeightError, build_model, predict_names, resolve_config, train_run
from moslab_science.iqa.architectures.clip_iqa import level_expectation
from moslab_science.iqa.architectures.lmm import word_tokenizer
from moslab_science.iqa.losses import level_kl
from moslab_science.iqa.soft_labels import deqa_distribution, level_bins
from tests.modeling.iqa_fixtures import make_study_data, write_table
from tests.modeling.pretrained_caches import LLAVA_REPO, save_tiny_llava

WORDS = ("excellent", "good", "fair", "poor", "bad")  # Q-Align's order, weighted 5..1


def quiet(message: str) -> None:
    """Training logs go nowhere in tests."""


@pytest.fixture
def hf_cache(tmp_path, monkeypatch):
    """An empty Hugging Face cache and weight registry: nothing outside the test is found."""
    monkeypatch.setenv("MOSLAB_WEIGHTS", str(tmp_path / "registry" / "weights.toml"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    return tmp_path / "hf" / "hub"


def tiny(overrides: dict | None = None) -> dict:
    return resolve_config("qalign", {"preset": "tiny", **(overrides or {})})


def test_score_is_the_softmax_of_the_five_level_logits_weighted_five_to_one():
    # by hand: excellent has logit ln 2, the rest 0: softmax (2, 1, 1, 1, 1) / 6 -> (5 * 2 + 4 + 3 + 2 + 1) / 6
    excellent_first = torch.tensor([[math.log(2.0), 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 30.0]])
    assert level_expectation(excellent_first.flip(-1)).tolist() == pytest.approx([20 / 6, 1.0])

    torch.manual_seed(0)
    model = build_model("qalign", tiny()).eval()
    images = torch.randn(3, 3, 32, 32)
    vocabulary = model_vocabulary()
    with torch.no_grad():
        scores = model(images)
        logits = model.lmm(input_ids=model.prompt.expand(3, -1), pixel_values=images).logits[:, -1]
    words = logits[:, [vocabulary[word] for word in WORDS]]  # the next token's logits of the level words
    expected = (words.softmax(dim=-1) * torch.tensor([5.0, 4.0, 3.0, 2.0, 1.0])).sum(dim=-1)
    assert scores.tolist() == pytest.approx(expected.tolist(), abs=1e-6)
    assert len(set(scores.tolist())) == 3  # the images are scored apart


def model_vocabulary() -> dict[str, int]:
    """The tiny tokenizer's vocabulary as the model's prompt was built with (the template and the level words)."""
    config = tiny()["model"]
    return word_tokenizer([f"{config['template']} bad poor fair good excellent"]).get_vocab()


def test_level_bins_are_five_equal_widths_as_in_the_qalign_export():
    targets = torch.tensor([1.0, 1.8, 1.81, 2.6, 3.0, 3.4, 3.41, 4.2, 4.21, 5.0, 0.5, 5.5])
    assert level_bins(targets).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 0, 4]
    values = np.linspace(1.0, 5.0, 41)
    assert level_bins(torch.tensor(values)).tolist() == [level_index(v, 1.0, 5.0) for v in values]


def test_deqa_soft_label_from_mean_and_std():
    phi = [0.5 * (1 + math.erf(x / math.sqrt(2))) for x in (0.5, 1.5, 2.5)]
    centre, near, far = 2 * phi[0] - 1, phi[1] - phi[0], phi[2] - phi[1]  # N(3, 1) on [k - 1/2, k + 1/2]
    gaussian = np.array([far, near, centre, near, far])
    mean3 = deqa_distribution(3.0, 1.0)
    # at mean 3 the adjustment keeps the symmetric shape; its slope limit gives alpha, beta = (1 - alpha sum) / 5
    assert mean3.sum() == pytest.approx(1.0) and mean3 @ np.arange(1, 6) == pytest.approx(3.0)
    assert mean3[0] == pytest.approx(mean3[4]) and mean3[1] == pytest.approx(mean3[3])
    assert mean3 == pytest.approx(deqa_distribution(3.0 + 1e-7, 1.0), abs=1e-6)  # continuous through 3
    alpha_beta = np.polyfit(gaussian, mean3, 1)  # an affine map of the discretised Gaussian
    assert np.polyval(alpha_beta, gaussian) == pytest.approx(mean3, abs=1e-9)

    skewed = deqa_distribution(2.3, 0.7)
    assert skewed.sum() == pytest.approx(1.0) and abs(skewed @ np.arange(1, 6) - 2.3) <= 0.1
    assert skewed.argmax() == 1 and skewed[4] == 0.0  # mostly "poor"; the negative end is cut to 0
    # a standard deviation under 0.2: the mean split between its neighbouring levels
    assert deqa_distribution(2.25, 0.1).tolist() == pytest.approx([0.0, 0.75, 0.25, 0.0, 0.0])
    assert deqa_distribution(5.0, 0.05).tolist() == pytest.approx([0.0, 0.0, 0.0, 0.0, 1.0])


def test_deqa_loss_is_the_kl_divergence_to_the_soft_label():
    target = torch.tensor([[0.1, 0.2, 0.4, 0.2, 0.1]])
    logits = torch.log(torch.tensor([[0.2, 0.2, 0.2, 0.2, 0.2]]))
    expected = sum(t * math.log(t / 0.2) for t in target[0].tolist())
    assert float(level_kl(logits, target)) == pytest.approx(expected)
    assert float(level_kl(torch.log(target), target)) == pytest.approx(0.0, abs=1e-7)


def std_table(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40))
    with table.open() as stream:
        rows = list(csv.DictReader(stream))
    for index, row in enumerate(rows):
        row["std"] = 0.3 + 0.05 * index
    columns = ("image", "mos", "split", "prompt", "std")
    return write_table(tmp_path / "std.csv", rows, columns=columns), images


def test_deqa_training_learns_the_soft_labels_of_the_table(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40))
    with table.open() as stream:
        rows = list(csv.DictReader(stream))
    for row in rows:  # every image: mostly "fair", as a table with level probabilities gives it
        row.update({"p1": 0.05, "p2": 0.15, "p3": 0.6, "p4": 0.15, "p5": 0.05})
    columns = ("image", "mos", "split", "p1", "p2", "p3", "p4", "p5")
    levels = write_table(tmp_path / "levels.csv", rows, columns=columns)
    config = tiny({"data": {"level_columns": ["p1", "p2", "p3", "p4", "p5"]},
                   "train": {"loss": "deqa", "epochs": 4, "batch_size": 3}})
    train_run(config=config, table=levels, images=images, out=tmp_path / "run", log=quiet)
    history = torch.load(tmp_path / "run" / "last.pt", weights_only=False)["history"]
    losses = [record["train_loss"] for record in history]
    assert losses[-1] < losses[0]

    std, images = std_table(tmp_path)
    from_std = tiny({"data": {"std_column": "std"}, "train": {"loss": "deqa", "epochs": 1}})
    summary = train_run(config=from_std, table=std, images=images, out=tmp_path / "std-run", log=quiet)
    assert summary["epochs"] == 1
    with pytest.raises(IqaError, match="set data.std_column .* or data.level_columns"):
        train_run(config=tiny({"train": {"loss": "deqa"}}), table=std, images=images, out=tmp_path / "none",
                  log=quiet)


def test_bad_level_probabilities_and_misused_level_losses_are_refused(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40))
    with table.open() as stream:
        rows = list(csv.DictReader(stream))
    for row in rows:
        row.update({"p1": 0.5, "p2": 0.5, "p3": 0.5, "p4": 0.0, "p5": "x"})
    bad = write_table(tmp_path / "bad.csv", rows, columns=("image", "mos", "split", "p1", "p2", "p3", "p4", "p5"))
    config = tiny({"data": {"level_columns": ["p1", "p2", "p3", "p4", "p5"]}, "train": {"loss": "deqa"}})
    with pytest.raises(IqaError) as raised:
        train_run(config=config, table=bad, images=images, out=tmp_path / "run", log=quiet)
    assert "line 2: p5 is 'x', not a finite number" in raised.value.problems
    with pytest.raises(IqaError) as raised:
        train_run(config=tiny({"train": {"target_scaling": "zscore"}}), table=table, images=images,
                  out=tmp_path / "z", log=quiet)
    assert raised.value.problems == ['train.loss \'level_ce\' learns levels: set train.target_scaling "levels"']
    with pytest.raises(IqaError, match="needs a model that scores five levels"):
        train_run(config=resolve_config("maniqa", {"preset": "tiny", "train": {"loss": "level_ce",
                                                                                "target_scaling": "levels"}}),
                  table=table, images=images, out=tmp_path / "m", log=quiet)


def test_lora_training_changes_only_the_adapters_and_the_projector(tmp_path):
    table, images = make_study_data(tmp_path, size=(40, 40))
    for train_projector in (False, True):
        config = tiny({"model": {"train_projector": train_projector}, "train": {"epochs": 1}})
        out = tmp_path / f"run-{train_projector}"
        train_run(config=config, table=table, images=images, out=out, log=quiet)
        torch.manual_seed(config["train"]["seed"])  # the run builds its model right after this seed
        initial = build_model("qalign", config).state_dict()
        trained = torch.load(out / "last.pt", weights_only=False)["model"]
        changed = {name for name, tensor in initial.items() if not torch.equal(tensor, trained[name])}
        adapters = {name for name in initial if ".lora_" in name}
        projector = {name for name in initial if "multi_modal_projector" in name}
        assert adapters and {name for name in changed if "lora_B" in name} == {n for n in adapters if "lora_B" in n}
        assert changed - adapters == (projector if train_projector else set())


def test_pretrained_lmm_is_read_offline_and_checkpoints_hold_only_what_training_changed(tmp_path, hf_cache):
    tiny_config = tiny()
    saved = save_tiny_llava(hf_cache, tiny_config)
    config = {**tiny_config, "pretrained": True, "train": {**tiny_config["train"], "epochs": 1}}
    loaded = build_model("qalign", config).lmm.state_dict()
    for name, tensor in saved.state_dict().items():
        module, leaf = name.rsplit(".", 1)
        key = name if name in loaded else f"{module}.base_layer.{leaf}"  # a layer LoRA wraps
        assert torch.equal(loaded[key], tensor), name

    table, images = make_study_data(tmp_path, size=(40, 40))
    train_run(config=config, table=table, images=images, out=tmp_path / "run", log=quiet)
    best = torch.load(tmp_path / "run" / "best.pt", weights_only=True)["model"]
    assert best and all(".lora_" in name or "multi_modal_projector" in name for name in best)
    with (tmp_path / "run" / "predictions_test.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    scores = predict_names(run_dir=tmp_path / "run", images=images, names=[row["image"] for row in rows])
    assert scores.tolist() == pytest.approx([float(row["score"]) for row in rows])  # the base reloaded + adapters


def test_missing_pretrained_lmm_names_the_folder_to_place(hf_cache):
    with pytest.raises(WeightError) as raised:
        build_model("qalign", tiny({"pretrained": True}))
    message = str(raised.value)
    assert "'llava-1.5-7b' is missing" in message and LLAVA_REPO in message
    assert "model.safetensors.index.json" in message and str(hf_cache) in message


def test_registered_model_folder_is_checked_against_its_sha256(tmp_path, hf_cache):
    save_tiny_llava(hf_cache, tiny())
    snapshot = next((hf_cache / ("models--" + LLAVA_REPO.replace("/", "--")) / "snapshots").iterdir())
    digest = hashlib.sha256((snapshot / "model.safetensors").read_bytes()).hexdigest()
    registry = tmp_path / "registry" / "weights.toml"
    registry.parent.mkdir()
    entry = '[weights.my-llava]\npath = "{}"\nsha256 = "{}"\nsource = "a test"\n'
    registry.write_text(entry.format(snapshot, digest))
    config = tiny({"pretrained": True, "model": {"weight": "my-llava"}})
    assert build_model("qalign", config).pretrained
    registry.write_text(entry.format(snapshot, "0" * 64))
    with pytest.raises(WeightError, match=f"'my-llava' at .* has SHA-256 {digest}, not the expected 0000"):
        build_model("qalign", config)
    registry.write_text(entry.format(tmp_path / "nowhere", digest))
    with pytest.raises(WeightError, match="is not a model folder with config.json and model.safetensors"):
        build_model("qalign", config)
