"""Benchmarks run by real Celery worker processes: launched from the admin form, and with a worker killed mid-run."""
import json
import re
import time

import pytest
import torch
from django.contrib.auth.models import Permission
from django.urls import reverse

from modeling.models import BenchmarkRun, RunStatus, TrainingRun
from modeling.runs import services as run_services
from moslab_science.benchmarks import Protocol
from tests.worker import start_worker, stop_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
FAST = {"OMP_NUM_THREADS": "1", "MOSLAB_RUN_HEARTBEAT_SECONDS": "0.5", "MOSLAB_RUN_STALE_SECONDS": "3"}


@pytest.fixture
def staff_researcher(researcher):
    researcher.is_staff = True
    researcher.save()
    researcher.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="modeling", codename__in=["add_benchmarkrun", "view_benchmarkrun",
                                                          "view_trainingrun"]))
    return researcher


def watch(benchmark_id: int, *, timeout: float = 240) -> dict[int, list[str]]:
    """Each run's statuses in the order seen, polled until the benchmark has ended."""
    seen: dict[int, list[str]] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pk, status in TrainingRun.objects.filter(benchmark_id=benchmark_id).values_list("pk", "status"):
            if not seen.get(pk) or seen[pk][-1] != status:
                seen.setdefault(pk, []).append(status)
        if BenchmarkRun.objects.get(pk=benchmark_id).status in (RunStatus.SUCCEEDED, RunStatus.FAILED,
                                                                RunStatus.CANCELLED):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"benchmark {benchmark_id} did not end in {timeout:.0f} s; runs seen: {seen}")


def test_a_benchmark_launched_from_the_admin_form_runs_on_the_gpu_queue(
        client, staff_researcher, dataset_version, media_root, tmp_path):
    worker = start_worker(media_root=media_root, queues="gpu", log_path=tmp_path / "worker.log", env=FAST)
    try:
        client.force_login(staff_researcher)
        form = client.get(reverse("admin:modeling_benchmarkrun_add") + f"?version={dataset_version.pk}")
        assert form.status_code == 200 and b"NTIRE 2024 (7:1:2, main score)" in form.content
        response = client.post(reverse("admin:modeling_benchmarkrun_add"), {
            "version": dataset_version.pk, "preset": "ntire2024", "models": ["effnet-lite", "niqe"],
            "hyperparameters": json.dumps({"preset": "tiny", "train": {"epochs": 3, "batch_size": 4}}),
            "device": "cpu", "group_column": "enhancer",
        })
        benchmark = BenchmarkRun.objects.get()
        assert response.status_code == 302, response.content.decode()[:2000]
        seen = watch(benchmark.pk)
    finally:
        stop_worker(worker)
        print((tmp_path / "worker.log").read_text(errors="replace")[-3000:])
    benchmark.refresh_from_db()
    assert benchmark.status == RunStatus.SUCCEEDED, benchmark.error
    assert benchmark.protocol["rank_by"] == "ntire2024" and benchmark.protocol["ratios"] == [["train", 7.0],
                                                                                           ["val", 1.0],
                                                                                           ["test", 2.0]]
    trained = benchmark.training_runs.get(model="effnet-lite")
    assert seen[trained.pk] == ["queued", "running", "succeeded"]
    assert [record["epoch"] for record in trained.metrics] == [1, 2, 3]
    assert trained.worker.startswith("test-") and trained.result["n"] == len(trained.predictions)
    by_group = trained.result["by_group"]
    assert set(by_group["groups"]) | set(by_group["skipped"]) == {"esrgan", "hat"}
    assert "ntire2024" in trained.result["scores"]
    assert benchmark.training_runs.get(model="niqe").status == RunStatus.SUCCEEDED


@pytest.mark.parametrize("attempts, outcome", [(3, RunStatus.SUCCEEDED), (1, RunStatus.FAILED)])
def test_a_worker_killed_mid_run_leaves_a_run_that_resumes_or_fails_with_the_reason(
        researcher, dataset_version, media_root, tmp_path, settings, attempts, outcome):
    settings.MOSLAB_RUN_STALE_SECONDS = float(FAST["MOSLAB_RUN_STALE_SECONDS"])  # as the workers see it
    hyper = {"preset": "tiny", "train": {"epochs": 12, "batch_size": 2}}
    log = tmp_path / "worker.log"
    env = {**FAST, "MOSLAB_RUN_MAX_ATTEMPTS": str(attempts)}
    first = start_worker(media_root=media_root, queues="gpu", log_path=log, env=env)
    try:
        benchmark = run_services.benchmark_launch(version=dataset_version, by=researcher, models=["effnet-lite"],
                                                  protocol=Protocol(scheme="seeded"), hyperparameters=hyper,
                                                  device="cpu")
        run = benchmark.training_runs.get()
        wait_for(lambda: TrainingRun.objects.get(pk=run.pk).epoch >= 2, timeout=180, what="two finished epochs")
    finally:
        first.kill()  # SIGKILL: no clean-up, the message stays unacknowledged
        first.wait()
    killed = TrainingRun.objects.get(pk=run.pk)
    assert killed.status == RunStatus.RUNNING and 2 <= killed.epoch < 12
    wait_for(lambda: run_services.is_stale(TrainingRun.objects.get(pk=run.pk)), timeout=30, what="a stale heartbeat")
    second = start_worker(media_root=media_root, queues="gpu", log_path=log, env=env)
    try:
        wait_for(lambda: TrainingRun.objects.get(pk=run.pk).status in (RunStatus.SUCCEEDED, RunStatus.FAILED),
                 timeout=240, what="the second worker to recover the run")
    finally:
        stop_worker(second)
        print(log.read_text(errors="replace")[-3000:])
    run.refresh_from_db()
    assert run.status == outcome, run.error + run.log
    if outcome == RunStatus.SUCCEEDED:
        resumed = re.search(r"resuming after epoch (\d+)", run.log)
        assert run.attempt == 2 and resumed, run.log
        assert int(resumed.group(1)) in (killed.epoch, killed.epoch + 1)  # last.pt may be one epoch ahead of the row
        assert [record["epoch"] for record in run.metrics] == list(range(1, 13))
        assert (media_root / run.checkpoint).is_file() and len(run.predictions) == run.result["n"]
    else:
        assert "stopped mid-run" in run.error and "gave up after attempt 1 of 1" in run.error
        last = settings.MOSLAB_RUN_WORK_DIR / run.run_dir / "train" / "last.pt"  # the resume point stays on the worker
        state = torch.load(last, map_location="cpu", weights_only=False)
        assert run.epoch == killed.epoch and state["epoch"] + 1 in (run.epoch, run.epoch + 1)  # never behind the row
    benchmark.refresh_from_db()
    assert benchmark.status == outcome
