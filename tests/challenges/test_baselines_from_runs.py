"""Baselines from trained moslab models: real training runs, executed in process, scored on a challenge's phase."""
import datetime as dt

import pytest
import torch
from django.urls import reverse
from django.utils import timezone

from challenges import leaderboards, services
from challenges.baseline_services import baseline_from_run
from challenges.data import hidden_mos, part_names
from challenges.models import Baseline
from common.errors import DomainError, PermissionDeniedError
from modeling.runs import execution as run_execution
from modeling.runs import services as run_services
from moslab_science.benchmarks import Protocol
from moslab_science.challenges.scoring import ScoreSpec, score_predictions
from moslab_science.datasets import SplitSpec
from studies.datasets import services as dataset_services
from tests.modeling.runs.conftest import TINY, dataset_version, researcher  # noqa: F401  (the fixtures)

pytestmark = pytest.mark.django_db
ZERO_SHOT = Protocol(scheme="zero_shot", ratios=())


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def challenge(dataset_version, researcher):  # noqa: F811
    """A challenge by the study's researcher on a 7:1:2 split of the 30 brightness images."""
    version = dataset_services.dataset_split_create(
        version=dataset_version, by=researcher,
        spec=SplitSpec(kind="ratio", ratios=(("train", 7), ("val", 1), ("test", 2)), seed=4, group_by=""))
    challenge = services.challenge_create(version=version, split=version.splits.get(), slug="bright",
                                          title="Brightness IQA", terms="Fair play.",
                                          score_spec={"formula": "ntire2024"}, by=researcher, is_public=True)
    now = timezone.now()
    for kind, part in (("development", "val"), ("test", "test")):
        services.phase_add(challenge=challenge, kind=kind, part=part, opens_at=now - dt.timedelta(hours=1),
                           closes_at=now + dt.timedelta(days=1), max_per_day=2, max_total=5, by=researcher)
    return challenge


def run_of(version, by, capture, *, models, protocol, hyperparameters, execute=True):
    with capture(execute=False):
        benchmark = run_services.benchmark_launch(version=version, by=by, models=models, protocol=protocol,
                                                  hyperparameters=hyperparameters, device="cpu")
    run = benchmark.training_runs.get()
    if execute:
        run_execution.training_run_execute(run_id=run.pk, attempt=run.attempt, worker="test")
        run.refresh_from_db()
        assert run.status == "succeeded", run.error
    return run


def test_a_zero_shot_run_becomes_a_baseline_of_each_phase(challenge, researcher, coordinator, make_user, client,  # noqa: F811
                                                        django_capture_on_commit_callbacks):
    run = run_of(challenge.version, researcher, django_capture_on_commit_callbacks, models=["niqe"],
                 protocol=ZERO_SHOT, hyperparameters={})
    assert len(run.predictions) == 30
    test = challenge.phases.get(kind="test")
    baseline = baseline_from_run(phase=test, run_id=run.pk, by=researcher)
    assert baseline.label == f"niqe (run #{run.pk})"
    expected = {name: run.predictions[name] for name in part_names(challenge, "test")}
    assert baseline.predictions == expected, "only the images of the phase's part"
    scores = score_predictions(ScoreSpec.from_dict(challenge.score_spec), expected, hidden_mos(challenge, "test"))
    assert baseline.scores["score"] == pytest.approx(scores["figures"]["score"])
    assert baseline_from_run(phase=test, run_id=str(run.pk), by=coordinator).pk == baseline.pk, "added once"

    board = leaderboards.leaderboard(phase=test, user=make_user("visitor"))
    assert [row.team for row in board.baselines] == [baseline.label] and board.baselines[0].score is None

    client.force_login(coordinator)  # the page: the organiser picks the run, the baseline shows on the leaderboard
    dev = challenge.phases.get(kind="development")
    response = client.post(reverse("challenges:baseline", args=[challenge.slug, dev.pk]), {"run_id": run.pk},
                           follow=True)
    page = response.content.decode()
    assert f"niqe (run #{run.pk})" in page and "baseline" in page and Baseline.objects.count() == 2


def test_a_run_that_misses_images_of_the_part_is_refused_with_what_to_launch(
        challenge, researcher, make_user, django_capture_on_commit_callbacks):  # noqa: F811
    test = challenge.phases.get(kind="test")
    trained = run_of(challenge.version, researcher, django_capture_on_commit_callbacks, models=["effnet-lite"],
                     protocol=Protocol(scheme="seeded", seed=11), hyperparameters=TINY)
    names = part_names(challenge, "test")
    covered = sum(name in trained.predictions for name in names)
    assert covered < len(names), "a seeded split's test part is not the challenge's"
    with pytest.raises(DomainError) as caught:
        baseline_from_run(phase=test, run_id=trained.pk, by=researcher)
    assert f"predicted {covered} of the {len(names)} images of the test part" in str(caught.value)
    assert f"zero-shot benchmark of the model run:{trained.pk} (this trained run) on dataset version " \
           f"{challenge.version.number}" in caught.value.problems[0]

    queued = run_of(challenge.version, researcher, django_capture_on_commit_callbacks, models=["niqe"],
                    protocol=ZERO_SHOT, hyperparameters={}, execute=False)
    with pytest.raises(DomainError, match=f"Run #{queued.pk} \\(niqe\\) is queued; only a succeeded run"):
        baseline_from_run(phase=test, run_id=queued.pk, by=researcher)
    with pytest.raises(DomainError, match="No training run #999999 in this challenge's study"):
        baseline_from_run(phase=test, run_id=999999, by=researcher)
    with pytest.raises(PermissionDeniedError, match="Only the challenge's organisers"):
        baseline_from_run(phase=test, run_id=trained.pk, by=make_user("stranger"))
    assert not Baseline.objects.exists()
