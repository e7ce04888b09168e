"""Video architectures as runs: AIGC-VQA and the frame-CLIP baseline launched from the admin form and the runs API,
trained by a real gpu worker through their stages on tiny configurations and tiny generated clips."""
import json
import uuid

import numpy as np
import pytest
from django.urls import reverse

from common.errors import DomainError
from modeling.models import BenchmarkRun, RunStatus
from moslab_science.benchmarks import Protocol
from moslab_science.benchmarks.schedule import stage_progress
from moslab_science.vqa import ARCHITECTURES, resolve_config
from moslab_science.vqa.stages import plan
from tests.conftest import token_client
from tests.modeling.runs.test_run_services import launch
from tests.modeling.runs.test_worker_runs import FAST, staff_researcher, watch  # noqa: F401  (a fixture)
from tests.studies.conftest import write_clips
from tests.worker import start_worker, stop_worker

CLIPS = 12
RATERS = 3
VIDEO_TINY = {"preset": "tiny", "train": {"batch_size": 3}}
SPLIT = {"scheme": "seeded", "ratios": "train=6,val=3,test=3", "group_column": "kind"}


@pytest.fixture
def video_version(coordinator, researcher, tmp_path):
    """Twelve clips with text prompts and a kind (fox or owl), rated 1..5 by three raters: the later clips better."""
    from studies import services
    from studies.datasets import services as dataset_services
    from studies.models import Membership, Study

    study = services.study_create(name="Clips", slug="clips", created_by=coordinator, raters_per_stimulus=RATERS)
    folder = write_clips(tmp_path / "clips", count=CLIPS)
    manifest = folder / "manifest.csv"  # each clip its own content (all can be tested), a group, its prompt
    files = [line.split(",")[0] for line in manifest.read_text().splitlines()[1:]]
    manifest.write_text("file,source_content,prompt,group_kind\n" + "".join(
        f"{name},s{index},a red fox running through snow number {index},{'fox' if index % 3 else 'owl'}\n"
        for index, name in enumerate(files)))
    services.stimuli_import(study=study, source=folder, manifest=manifest)
    study.status = Study.Status.OPEN
    study.save()
    rng = np.random.default_rng(3)
    stimuli = list(study.stimuli.order_by("name"))
    for rater_index in range(RATERS):
        from django.contrib.auth import get_user_model

        rater = get_user_model().objects.create_user(username=f"viewer{rater_index}", password="x")
        services.membership_add(study=study, user=rater, role=Membership.Role.ANNOTATOR)
        for position, stimulus in enumerate(stimuli):
            score = float(np.clip(np.rint(1 + 4 * position / (CLIPS - 1) + rng.normal(0, 0.4)), 1, 5))
            services.rating_record(study=study, stimulus=stimulus, rater=rater, client_id=uuid.uuid4(), score=score,
                                   details={"verified": True})
    computation = services.mos_computation_start(study=study, by=coordinator)
    services.mos_computation_run(computation_id=computation.pk)
    services.membership_add(study=study, user=researcher, role=Membership.Role.RESEARCHER)
    return dataset_services.dataset_version_create(study=study, by=coordinator)


def test_a_stage_schedule_reads_done_running_and_waiting():
    stages = [{"name": "branches", "epochs": 2}, {"name": "alignment", "epochs": 3}, {"name": "joint", "epochs": 1}]
    running = stage_progress(stages, 3, active=True)
    assert [(s.name, s.first_epoch, s.last_epoch, s.done, s.state) for s in running] == [
        ("branches", 1, 2, 2, "done"), ("alignment", 3, 5, 1, "running"), ("joint", 6, 6, 0, "waiting")]
    assert [s.describe() for s in running] == ["2 of 2 epochs done", "epoch 2 of 3 training", "0 of 1 epoch, waiting"]
    assert [s.state for s in stage_progress(stages, 2, active=False)] == ["done", "stopped", "waiting"]
    assert [s.state for s in stage_progress(stages, 6, active=False)] == ["done", "done", "done"]


def test_stages_run_in_the_architectures_order_whatever_the_order_of_the_stored_keys():
    """PostgreSQL's jsonb gives a run's configuration back with its keys sorted (joint before branches)."""
    config = resolve_config("aigc-vqa", {"preset": "tiny"})
    shuffled = {**config, "stages": dict(sorted(config["stages"].items(), key=lambda item: len(item[0])))}
    assert list(shuffled["stages"]) == ["joint", "branches", "alignment"]
    stages = plan(shuffled, ARCHITECTURES["aigc-vqa"].stage_branches)
    assert [(stage.name, stage.first_epoch) for stage in stages] == [("branches", 0), ("alignment", 1), ("joint", 2)]


@pytest.mark.django_db
def test_video_launches_refuse_what_they_cannot_run(video_version, researcher):
    with pytest.raises(DomainError, match="aigc-vqa is a video model trained through its stages"):
        launch(video_version, researcher, models=("aigc-vqa",), hyperparameters=VIDEO_TINY,
               protocol=Protocol(scheme="zero_shot", ratios=()))
    with pytest.raises(DomainError) as refused:
        launch(video_version, researcher, models=("clip-video",), protocol=Protocol(scheme="seeded"),
               hyperparameters={"preset": "tiny", "train": {"epochs": 2}})
    assert "unknown configuration key 'train.epochs'" in str(refused.value)
    with pytest.raises(DomainError) as refused:
        launch(video_version, researcher, models=("clip-video",), protocol=Protocol(scheme="seeded"),
               hyperparameters=VIDEO_TINY, time_limit_seconds=600)
    assert "video runs stop at epoch ends only and take no time limit" in str(refused.value.problems)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_video_runs_launched_from_the_admin_and_the_api_train_through_their_stages(
        client, staff_researcher, video_version, media_root, tmp_path):  # noqa: F811
    worker = start_worker(media_root=media_root, queues="gpu", log_path=tmp_path / "worker.log", env=FAST)
    try:
        client.force_login(staff_researcher)
        form = client.get(reverse("admin:modeling_benchmarkrun_add"))
        assert b'value="aigc-vqa"' in form.content and b'value="clip-video"' in form.content
        response = client.post(reverse("admin:modeling_benchmarkrun_add"), {
            "version": video_version.pk, "preset": "custom", "models": ["aigc-vqa"], "device": "cpu",
            "hyperparameters": json.dumps(VIDEO_TINY), **SPLIT})
        assert response.status_code == 302, response.content.decode()[:3000]
        from_admin = BenchmarkRun.objects.get()
        api = token_client(staff_researcher).post(
            reverse("runs-api:benchmark-list", args=[video_version.study_id]),
            {"version_id": video_version.pk, "preset": "custom", "models": ["clip-video"], "device": "cpu",
             "hyperparameters": VIDEO_TINY, **SPLIT}, format="json")
        assert api.status_code == 201, api.content.decode()[:3000]
        seen = {**watch(from_admin.pk, timeout=600), **watch(api.json()["id"], timeout=600)}
    finally:
        stop_worker(worker)
        print((tmp_path / "worker.log").read_text(errors="replace")[-4000:])

    stages = {"aigc-vqa": ["branches", "alignment", "joint"], "clip-video": ["finetune", "finetune"]}
    for benchmark in BenchmarkRun.objects.order_by("pk"):
        run = benchmark.training_runs.get()
        assert benchmark.status == RunStatus.SUCCEEDED, run.error + run.log
        assert seen[run.pk][-1] == RunStatus.SUCCEEDED and run.worker.startswith("test-")
        assert [record["stage"] for record in run.metrics] == stages[run.model]
        assert run.epoch == run.epochs == len(stages[run.model]) and run.progress == 1.0
        assert [stage["name"] for stage in run.stages] == list(dict.fromkeys(stages[run.model]))
        tested = sorted(name for name, part in run.assignment.items() if part == "test")
        assert sorted(run.predictions) == tested and run.result["n"] == 3
        assert set(run.result["by_group"]["groups"]) | set(run.result["by_group"]["skipped"]) <= {"fox", "owl"}
        assert run.checkpoint.endswith("train/best.pt") and (media_root / run.checkpoint).is_file()
        page = client.get(reverse("modeling:training-run", args=[video_version.study_id, benchmark.pk, run.pk]))
        text = page.content.decode()
        assert page.status_code == 200 and 'id="stages"' in text
        for name in dict.fromkeys(stages[run.model]):
            count = stages[run.model].count(name)
            assert f"<strong>{name}</strong>" in text
            assert f"{count} of {count} epoch{'s' if count > 1 else ''} done" in text
