"""Launching, running, cancelling, retrying and recovering runs, in process (the worker tests run the same code)."""
import csv
import os
import re
import signal
import time
from datetime import timedelta

import pytest
import torch
from django.utils import timezone
from PIL import Image

from common.errors import DomainError, PermissionDeniedError
from modeling.models import BenchmarkRun, RunStatus, TrainingRun
from modeling.runs import execution as run_execution
from modeling.runs import files
from modeling.runs import services as run_services
from modeling.runs.files import work_folder
from moslab_science.benchmarks import PRESETS, Protocol
from studies.models import Stimulus
from tests.modeling.runs.conftest import TINY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def launch(version, by, models=("effnet-lite",), protocol=None, hyperparameters=TINY, **extra):
    return run_services.benchmark_launch(
        version=version, by=by, models=list(models), protocol=protocol or Protocol(scheme="seeded", repeats=2),
        hyperparameters=hyperparameters, device="cpu", **extra)


def execute(run: TrainingRun) -> TrainingRun:
    run.refresh_from_db()
    run_execution.training_run_execute(run_id=run.pk, attempt=run.attempt, worker="test-worker")
    run.refresh_from_db()
    return run


def test_a_launch_plans_every_model_on_every_repeated_split_and_queues_each_once(
        dataset_version, researcher, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        benchmark = launch(dataset_version, researcher, models=("effnet-lite", "niqe", "brisque"))
    runs = list(benchmark.training_runs.order_by("repeat", "model"))
    assert [(run.model, run.repeat, run.kind) for run in runs] == [
        ("brisque", 0, "classical"), ("effnet-lite", 0, "train"), ("niqe", 0, "classical"),
        ("brisque", 1, "classical"), ("effnet-lite", 1, "train"), ("niqe", 1, "classical")]
    assert len(callbacks) == len(runs)
    first, second = runs[0].assignment, runs[3].assignment
    assert sorted(set(first.values())) == ["test", "train", "val"] and first != second
    assert len(first) == len(dataset_version.items)
    trained = runs[1]
    assert trained.config["train"]["seed"] == 0 and runs[4].config["train"]["seed"] == 1
    assert trained.config["preset"] == "tiny" and trained.epochs == 2
    contents = {}
    for item in dataset_version.items:  # content-grouped: one content never sits in two parts
        contents.setdefault(item["source_content"], set()).add(first[item["name"]])
    assert all(len(parts) == 1 for parts in contents.values())


def test_only_researchers_launch(dataset_version, coordinator, make_user):
    annotator = make_user("ann")
    for user in (coordinator, annotator):
        with pytest.raises(PermissionDeniedError):
            launch(dataset_version, user)
    assert not BenchmarkRun.objects.exists()


def test_bad_launches_say_what_to_fix_and_write_nothing(dataset_version, researcher):
    with pytest.raises(DomainError, match="unknown configuration key 'train.epoch'"):
        launch(dataset_version, researcher, hyperparameters={"preset": "tiny", "train": {"epoch": 3}})
    with pytest.raises(DomainError, match="unknown model 'resnet9000'"):
        launch(dataset_version, researcher, models=("resnet9000",))
    with pytest.raises(DomainError, match="must be trained first"):
        launch(dataset_version, researcher, protocol=Protocol(scheme="zero_shot", ratios=()))
    with pytest.raises(DomainError) as error:
        launch(dataset_version, researcher, protocol=Protocol(scheme="stored_split", split="official", repeats=2))
    assert "runs once" in str(error.value)
    with pytest.raises(DomainError, match="no split 'official'"):
        launch(dataset_version, researcher, protocol=Protocol(scheme="stored_split", split="official"))
    assert not BenchmarkRun.objects.exists() and not TrainingRun.objects.exists()


def test_the_same_launch_is_not_started_twice_while_active(dataset_version, researcher):
    first = launch(dataset_version, researcher)
    with pytest.raises(DomainError, match=f"already queued as #{first.pk}"):
        launch(dataset_version, researcher)
    other = launch(dataset_version, researcher, protocol=Protocol(scheme="seeded", seed=7))
    assert other.pk != first.pk
    run_services.benchmark_cancel(benchmark=first, by=researcher)
    assert launch(dataset_version, researcher).pk not in (first.pk, other.pk)


def test_a_trained_run_stores_its_curves_predictions_and_checkpoint(dataset_version, researcher, media_root):
    benchmark = launch(dataset_version, researcher, protocol=Protocol(scheme="seeded", group_column="enhancer"))
    run = execute(benchmark.training_runs.get())
    assert run.status == RunStatus.SUCCEEDED, run.error + run.log
    assert [record["epoch"] for record in run.metrics] == [1, 2] and run.epoch == 2 and run.progress == 1.0
    tested = sorted(name for name, part in run.assignment.items() if part == "test")
    assert sorted(run.predictions) == tested
    assert run.result["n"] == len(tested) and -1 <= run.result["srcc"] <= 1
    by_group = run.result["by_group"]
    assert set(by_group["groups"]) | set(by_group["skipped"]) == {"esrgan", "hat"}
    assert (media_root / run.checkpoint).is_file() and run.worker == "test-worker"
    assert "attempt 1 started on test-worker" in run.log and "epoch 2:" in run.log
    benchmark.refresh_from_db()
    assert benchmark.status == RunStatus.SUCCEEDED and benchmark.finished_at is not None


def test_zero_shot_scores_every_item_with_niqe_or_a_trained_run(dataset_version, researcher):
    trained = execute(launch(dataset_version, researcher, protocol=Protocol(scheme="seeded")).training_runs.get())
    zero_shot = Protocol(scheme="zero_shot", ratios=(), group_column="enhancer")
    benchmark = launch(dataset_version, researcher, models=("niqe", f"run:{trained.pk}"), protocol=zero_shot,
                       hyperparameters={})
    for run in benchmark.training_runs.all():
        run = execute(run)
        assert run.status == RunStatus.SUCCEEDED, run.error
        assert len(run.predictions) == len(dataset_version.items)
        assert run.kind == TrainingRun.Kind.ZERO_SHOT


def test_an_image_without_a_niqe_score_is_left_out_and_named(dataset_version, researcher, media_root):
    flat = next(item["name"] for item in dataset_version.items)
    stimulus = Stimulus.objects.get(study=dataset_version.study, name=flat)
    with Image.open(media_root / stimulus.file.name) as image:
        size = image.size
    Image.new("RGB", size, (128, 128, 128)).save(media_root / stimulus.file.name)
    Stimulus.objects.filter(pk=stimulus.pk).update(sha256="")  # the version still names the old bytes' hash
    version_items = [{**item, "sha256": ""} if item["name"] == flat else item for item in dataset_version.items]
    type(dataset_version).objects.filter(pk=dataset_version.pk).update(items=version_items)
    dataset_version.refresh_from_db()
    benchmark = launch(dataset_version, researcher, models=("niqe",), hyperparameters={},
                       protocol=Protocol(scheme="zero_shot", ratios=()))
    run = execute(benchmark.training_runs.get())
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.result["unscored"] == [flat] and run.result["n"] == len(dataset_version.items) - 1
    assert f"{flat}: NIQE needs at least 2 non-flat" in run.log


def test_a_cancelled_run_stops_after_its_next_step_and_a_retry_resumes_from_that_step(
        dataset_version, researcher, monkeypatch):
    hyper = {"preset": "tiny", "train": {"epochs": 3, "batch_size": 4}}
    benchmark = launch(dataset_version, researcher, protocol=Protocol(scheme="seeded"), hyperparameters=hyper)
    run = benchmark.training_runs.get()
    original = run_services.training_run_progress

    def cancel_at_step_two_of_epoch_two(*, run, fields, log_lines):  # the researcher presses Cancel mid-epoch 2
        if fields.get("step") == 2 and TrainingRun.objects.get(pk=run.pk).epoch == 1:
            run_services.benchmark_cancel(benchmark=benchmark, by=researcher)
        return original(run=run, fields=fields, log_lines=log_lines)

    monkeypatch.setattr(run_execution, "FLUSH_SECONDS", 0.0)  # every step reaches the row
    monkeypatch.setattr(run_services, "training_run_progress", cancel_at_step_two_of_epoch_two)
    run = execute(run)
    monkeypatch.undo()
    assert run.status == RunStatus.CANCELLED and run.epoch == 1
    assert "cancelled: stopped during epoch 2 after step 2 of" in run.error
    benchmark.refresh_from_db()
    assert benchmark.status == RunStatus.CANCELLED
    assert run_services.benchmark_retry(benchmark=benchmark, by=researcher) == 1
    assert "resumes from its last checkpoint (epoch 2, step 2 or later)" in TrainingRun.objects.get(pk=run.pk).log
    run = execute(run)
    assert run.status == RunStatus.SUCCEEDED and run.attempt == 2
    assert [record["epoch"] for record in run.metrics] == [1, 2, 3]
    assert f"resuming during epoch 2 after step 2 of {run.steps_per_epoch}" in run.log
    assert run.phase == "test" and run.steps_per_epoch == 5 and run.loss is not None  # the training part // batch 4

    benchmark.delete()  # the same launch again, uninterrupted: the same model, so the same predictions
    again = launch(dataset_version, researcher, protocol=Protocol(scheme="seeded"), hyperparameters=hyper)
    whole = execute(again.training_runs.get())
    assert whole.status == RunStatus.SUCCEEDED and whole.predictions == run.predictions


def test_a_sigterm_in_the_worker_saves_the_step_and_the_recovered_run_resumes_from_it(
        dataset_version, researcher, monkeypatch, settings):
    benchmark = launch(dataset_version, researcher, protocol=Protocol(scheme="seeded"))
    run = benchmark.training_runs.get()
    original = run_services.training_run_progress

    def terminate_at_step_two(*, run, fields, log_lines):  # the worker is shut down mid-epoch
        if fields.get("step") == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return original(run=run, fields=fields, log_lines=log_lines)

    monkeypatch.setattr(run_execution, "FLUSH_SECONDS", 0.0)
    monkeypatch.setattr(run_services, "training_run_progress", terminate_at_step_two)
    run = execute(run)
    monkeypatch.undo()
    assert run.status == RunStatus.RUNNING and run.finished_at is None
    assert "interrupted by SIGTERM: stopped during epoch 1 after step 2 of" in run.log
    stale = timezone.now() - timedelta(seconds=settings.MOSLAB_RUN_STALE_SECONDS + 5)
    TrainingRun.objects.filter(pk=run.pk).update(heartbeat_at=stale)
    assert [recovered.pk for recovered in run_services.training_runs_recover()] == [run.pk]
    run = execute(run)
    assert run.status == RunStatus.SUCCEEDED and run.attempt == 2, run.error
    assert f"resuming during epoch 1 after step 2 of {run.steps_per_epoch}" in run.log


class WorkerKilled(BaseException):
    """Stands for a SIGKILL: nothing in the worker catches it, nothing is cleaned up."""


def test_a_worker_killed_after_writing_last_pt_but_before_the_row_saw_the_epoch_loses_no_epoch(
        dataset_version, researcher, monkeypatch, settings):
    hyper = {"preset": "tiny", "train": {"epochs": 3, "batch_size": 4}}
    run = launch(dataset_version, researcher, protocol=Protocol(scheme="seeded"), hyperparameters=hyper)
    run = run.training_runs.get()
    recorded = run_execution.Reporter.on_epoch

    def killed_at_epoch_two(reporter, record):  # last.pt already holds epoch 2 when the hook is called
        if record["epoch"] == 2:
            raise WorkerKilled
        recorded(reporter, record)

    monkeypatch.setattr(run_execution.Reporter, "on_epoch", killed_at_epoch_two)
    with pytest.raises(WorkerKilled):
        execute(run)
    monkeypatch.undo()
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING and [record["epoch"] for record in run.metrics] == [1]
    stale = timezone.now() - timedelta(seconds=settings.MOSLAB_RUN_STALE_SECONDS + 5)
    TrainingRun.objects.filter(pk=run.pk).update(heartbeat_at=stale)
    assert [recovered.pk for recovered in run_services.training_runs_recover()] == [run.pk]
    run = execute(run)
    assert run.status == RunStatus.SUCCEEDED and "resuming after epoch 2" in run.log, run.error
    assert [record["epoch"] for record in run.metrics] == [1, 2, 3]
    assert all(record["val_srcc"] is not None for record in run.metrics)


def test_a_run_stops_cleanly_at_its_time_limit_keeping_its_step(dataset_version, researcher, media_root, monkeypatch):
    checked = run_execution.Reporter.should_stop

    def slow_step(reporter) -> bool:  # each step 0.3 s longer, as on a heavier model: no machine trains it in 1 s
        time.sleep(0.3)
        return checked(reporter)

    monkeypatch.setattr(run_execution.Reporter, "should_stop", slow_step)
    benchmark = launch(dataset_version, researcher, protocol=Protocol(scheme="seeded"), time_limit_seconds=1)
    run = benchmark.training_runs.get()
    assert run.time_limit_seconds == 1
    run = execute(run)
    assert run.status == RunStatus.FAILED, run.error
    stopped = re.match(r"time limit, stopped during epoch 1 after step (\d+) of \d+", run.error)
    assert stopped, run.error  # how many steps fit in the second depends on the machine
    assert "no epoch was validated within the time limit of 1 s; Retry resumes from that step" in run.error
    state = torch.load(work_folder(run) / "train" / "last.pt", map_location="cpu", weights_only=False)
    assert state["position"]["epoch"] == 0 and state["position"]["step"] == int(stopped.group(1))
    with pytest.raises(DomainError, match="the time limit per run must be at least 1 second, not 0"):
        launch(dataset_version, researcher, protocol=Protocol(scheme="seeded", seed=3), time_limit_seconds=0)


def test_a_run_whose_worker_stopped_is_queued_again_then_failed_after_the_last_attempt(
        dataset_version, researcher, settings, django_capture_on_commit_callbacks):
    settings.MOSLAB_RUN_MAX_ATTEMPTS = 2
    benchmark = launch(dataset_version, researcher, protocol=Protocol(scheme="seeded"))
    run = benchmark.training_runs.get()
    stale = timezone.now() - timedelta(seconds=settings.MOSLAB_RUN_STALE_SECONDS + 5)
    fresh = run_services.training_run_claim(run_id=run.pk, attempt=1, worker="lost-worker")
    assert run_services.training_runs_recover() == []  # a live heartbeat is left alone
    TrainingRun.objects.filter(pk=run.pk).update(heartbeat_at=stale)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert [r.pk for r in run_services.training_runs_recover()] == [fresh.pk]
    run.refresh_from_db()
    assert (run.status, run.attempt, len(callbacks)) == (RunStatus.QUEUED, 2, 1)
    assert run_services.training_run_claim(run_id=run.pk, attempt=1, worker="late") is None  # old message: skipped
    run_services.training_run_claim(run_id=run.pk, attempt=2, worker="lost-again")
    TrainingRun.objects.filter(pk=run.pk).update(heartbeat_at=stale)
    run_services.training_runs_recover()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "worker lost-again stopped mid-run" in run.error and "gave up after attempt 2 of 2" in run.error


def test_presets_carry_the_papers_protocols():
    ntire = PRESETS["ntire2024"].protocol
    assert (ntire.ratio_text(), ntire.rank_by) == ("7:1:2", "ntire2024")
    assert PRESETS["vquala2025"].protocol.ratio_text() == "8:1:1"
    ma = PRESETS["ma-agiqa"].hyperparameters
    assert (ma["train"]["epochs"], ma["train"]["batch_size"], ma["train"]["loss"], ma["optim"]["lr"]) == (30, 8, "mse",
                                                                                                        1e-5)
    assert PRESETS["au-iqa"].protocol.scheme == "zero_shot"
    zero_shot = PRESETS["au-iqa"].protocol.describe()
    assert "metrics on every item" in zero_shot and "validation" not in zero_shot
    assert "7:1:2" in ntire.describe() and "checkpoint chosen on validation" in ntire.describe()


def test_a_prompt_conditioned_model_reads_each_stimulus_prompt(dataset_version, researcher, media_root):
    prompts = {item["name"]: f"a photo of scene {item['source_content']}" for item in dataset_version.items}
    for name, prompt in prompts.items():
        Stimulus.objects.filter(study=dataset_version.study, name=name).update(prompt=prompt)
    benchmark = launch(dataset_version, researcher, models=("clip-agi",), protocol=Protocol(scheme="seeded"),
                       hyperparameters={"preset": "tiny", "train": {"epochs": 1, "batch_size": 4}})
    run = execute(benchmark.training_runs.get())
    assert run.status == RunStatus.SUCCEEDED, run.error + run.log
    assert run.config["data"]["prompt_column"] == "prompt"
    with open(media_root / run.run_dir / "data" / "table.csv", newline="") as handle:
        table = {row["image"]: row["prompt"] for row in csv.DictReader(handle)}
    stimuli = Stimulus.objects.filter(study=dataset_version.study)
    assert {files.stimulus_local_name(stimulus): stimulus.prompt for stimulus in stimuli} == table
