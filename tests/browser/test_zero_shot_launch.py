"""Headless Chromium on the admin launch page: a zero-shot benchmark of a pretrained scorer (CLIP-IQA's antonym
prompts on cached CLIP weights) and a cross-dataset benchmark (a run trained on one study, tested on another
study's version), each completed by a real gpu worker; the run pages say what was scored and where it was trained."""
import json

import pytest
from django.urls import reverse

from modeling import tasks
from modeling.models import BenchmarkRun, RunStatus
from moslab_science.benchmarks import Protocol
from tests.browser.conftest import screenshot
from tests.modeling.pretrained_caches import save_tiny_clip
from tests.modeling.runs.conftest import (  # noqa: F401  (the fixtures)
    TINY,
    dataset_version,
    hf_cache,
    other_version,
    researcher,
)
from tests.modeling.runs.helpers import execute_all
from tests.modeling.runs.test_worker_runs import FAST, staff_researcher, watch  # noqa: F401  (a fixture)
from tests.worker import start_worker, stop_worker

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def launch_from_admin(page, url: str, version, *, preset: str, models=(), trained_runs: str = "",
                      hyperparameters: dict | None = None) -> BenchmarkRun:
    """Fill the launch form as a researcher does and submit it; the benchmark page it lands on names the new one."""
    page.goto(url)
    page.select_option("select[name=version]", str(version.pk))
    page.select_option("select[name=preset]", preset)
    for box in page.query_selector_all("input[name=models]:checked"):  # the preset's own models
        box.uncheck()
    for model in models:
        page.check(f"input[name=models][value='{model}']")
    page.fill("input[name=trained_runs]", trained_runs)
    page.fill("textarea[name=hyperparameters]", json.dumps(hyperparameters) if hyperparameters else "")
    page.select_option("select[name=device]", "cpu")
    page.click("#benchmark-launch input[type=submit]")
    page.wait_for_url("**/runs/**")
    assert "queued" in page.text_content("body")
    return BenchmarkRun.objects.order_by("-pk").first()


def test_zero_shot_and_cross_dataset_benchmarks_launch_from_the_admin_page(
        page_for, live_server, staff_researcher, dataset_version, other_version, hf_cache,  # noqa: F811
        media_root, tmp_path, monkeypatch):
    pretrained = save_tiny_clip(hf_cache, arch="clip-iqa")
    with monkeypatch.context() as held:  # the run trained on the first study, in process
        held.setattr(tasks.training_run_task, "delay", lambda **_message: None)
        from modeling.runs import services as run_services

        trained = execute_all(run_services.benchmark_launch(
            version=dataset_version, by=staff_researcher, models=["effnet-lite"], protocol=Protocol(scheme="seeded"),
            hyperparameters=TINY, device="cpu")).training_runs.get()
    assert trained.status == RunStatus.SUCCEEDED, trained.error

    env = {**FAST, "HF_HOME": str(hf_cache.parent), "MOSLAB_WEIGHTS": str(tmp_path / "registry" / "weights.toml")}
    worker = start_worker(media_root=media_root, queues="gpu", log_path=tmp_path / "worker.log", env=env)
    try:
        page = page_for(staff_researcher)
        url = f"{live_server.url}{reverse('admin:modeling_benchmarkrun_add')}"
        zero_shot = launch_from_admin(page, url, other_version, preset="au-iqa", models=("clip-iqa",),
                                      hyperparameters=pretrained)
        screenshot(page, "zero-shot-launched")
        cross = launch_from_admin(page, url, other_version, preset="au-iqa", trained_runs=f"run:{trained.pk}")
        watch(zero_shot.pk)
        watch(cross.pk)
    finally:
        stop_worker(worker)
        print((tmp_path / "worker.log").read_text(errors="replace")[-3000:])

    for benchmark, model in ((zero_shot, "clip-iqa"), (cross, f"run:{trained.pk}")):
        benchmark.refresh_from_db()
        assert benchmark.status == RunStatus.SUCCEEDED, benchmark.error
        assert benchmark.model_names == [model] and benchmark.protocol["scheme"] == "zero_shot"
        run = benchmark.training_runs.get()
        assert run.status == RunStatus.SUCCEEDED and run.worker.startswith("test-"), run.error
        assert len(run.predictions) == len(other_version.items)
        assert set(run.result["by_group"]["groups"]) | set(run.result["by_group"]["skipped"]) == {"esrgan", "hat"}

    study = other_version.study_id
    run = cross.training_runs.get()
    page.goto(f"{live_server.url}{reverse('modeling:training-run', args=[study, cross.pk, run.pk])}")
    assert page.text_content("#source").split() == (
        f"another study: Brightness v{dataset_version.number} (run #{trained.pk}, effnet-lite) · a cross-dataset "
        "test").split()
    screenshot(page, "cross-dataset-run")
    run = zero_shot.training_runs.get()
    page.goto(f"{live_server.url}{reverse('modeling:training-run', args=[study, zero_shot.pk, run.pk])}")
    assert "Scored zero-shot" in page.text_content("body")
    assert "scoring zero-shot with clip-iqa on its pretrained weights" in page.text_content("#log")
    screenshot(page, "zero-shot-run")
