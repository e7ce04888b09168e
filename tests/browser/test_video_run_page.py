"""Headless Chromium on a video run's page: its three-stage schedule, each stage's epochs and where it stands."""
import pytest

from modeling import tasks
from modeling.runs import services as run_services
from moslab_science.benchmarks import Protocol
from tests.browser.conftest import screenshot
from tests.modeling.runs.conftest import researcher  # noqa: F401  (the fixtures)
from tests.modeling.runs.helpers import execute_all
from tests.modeling.runs.test_video_runs import VIDEO_TINY, video_version  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_video_run_page_shows_its_stages(page_for, live_server, researcher, video_version,  # noqa: F811
                                           monkeypatch):
    monkeypatch.setattr(tasks.training_run_task, "delay", lambda **_message: None)
    benchmark = execute_all(run_services.benchmark_launch(
        version=video_version, by=researcher, models=["aigc-vqa"], device="cpu",
        protocol=Protocol(scheme="seeded", ratios=(("train", 6.0), ("val", 3.0), ("test", 3.0))),
        hyperparameters={**VIDEO_TINY, "stages": {"alignment": {"epochs": 2}}}))
    run = benchmark.training_runs.get()
    assert run.status == "succeeded", run.error
    page = page_for(researcher)
    page.goto(f"{live_server.url}/studies/{video_version.study_id}/runs/{benchmark.pk}/training/{run.pk}/")
    stages = [item.inner_text() for item in page.locator("#stages li").all()]
    assert stages == ["branches · epochs 1–1 · 1 of 1 epoch done", "alignment · epochs 2–3 · 2 of 2 epochs done",
                      "joint · epochs 4–4 · 1 of 1 epoch done"]
    assert "epoch 4/4" in page.text_content("dl.facts")
    screenshot(page, "video-run-stages")
