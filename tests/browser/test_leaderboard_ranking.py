"""Headless Chromium on a demo-sized leaderboard: no "best" cell when the paired test cannot separate the top
models, a painted one when it can.

The version has the demo's shape (370 images of 10 source contents, a 7:1:2 split testing 74); the runs'
predictions are constructed (MOS plus noise of a chosen size) and stored as the runs' results, so which
models are separable is known in advance; everything after that (the ranking, the page) is the real code.
"""
import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from modeling import tasks
from modeling.models import RunStatus
from modeling.runs import services as run_services
from moslab_science.benchmarks import Protocol
from studies import services
from studies.datasets import services as dataset_services
from studies.datasets.imports import dataset_import
from studies.models import Membership
from tests.browser.conftest import screenshot
from tests.browser.test_dashboard_browser import open_dashboard
from tests.modeling.runs.conftest import write_dataset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BEST_FILL = "rgb(216, 240, 220)"  # moslab_science.charts.leaderboard.BEST_FILL as the browser computes it
DEMO_SIZE = 370
NOISE = {"niqe": 0.6, "brisque": 0.6, "effnet-lite": 0.08}  # niqe and brisque: the same quality


@pytest.fixture
def demo_sized_version(coordinator, make_user, tmp_path):
    table, images = write_dataset(tmp_path / "demo", count=DEMO_SIZE)
    report = dataset_import(name="Demo-sized", slug="demo-sized", by=coordinator, source_format="mos_table",
                            source=table, images=images, scale=(1, 5),
                            options={"name": "image", "mos": "mos", "source_content": "content",
                                     "group_columns": ["enhancer"]})
    researcher = make_user("res")
    services.membership_add(study=report.study, user=researcher, role=Membership.Role.RESEARCHER)
    return dataset_services.dataset_version_create(study=report.study, by=coordinator), researcher


def finished_with_constructed_predictions(version, researcher, models, name):
    """A benchmark of `models` (NTIRE 2024 protocol, 2 repeats) whose runs scored their test part with MOS + noise."""
    benchmark = run_services.benchmark_launch(
        version=version, by=researcher, models=models, device="cpu", name=name, hyperparameters={},
        protocol=Protocol(scheme="seeded", repeats=2, group_column="enhancer", rank_by="srcc"))
    mos = {item["name"]: float(item["mos"]) for item in version.items}
    for run in benchmark.training_runs.all():
        rng = np.random.default_rng([sorted(NOISE).index(run.model), run.repeat])
        tested = [item for item, part in run.assignment.items() if part == "test"]
        run.predictions = {item: mos[item] + float(rng.normal(0, NOISE[run.model])) for item in tested}
        run.status, run.progress, run.finished_at = RunStatus.SUCCEEDED, 1.0, timezone.now()
        run.save()
    benchmark.status = RunStatus.SUCCEEDED
    benchmark.save(update_fields=["status"])
    return benchmark


def painted_best_cells(page, chart="leaderboard") -> int:
    return page.evaluate("""([fill, chart]) => [...document.querySelectorAll(`#chart-${chart} .cell-rect`)]
        .filter(rect => getComputedStyle(rect).fill === fill).length""", [BEST_FILL, chart])


def test_the_leaderboard_paints_no_best_when_the_paired_test_cannot_separate_the_top_models(
        page_for, demo_sized_version, live_server, monkeypatch):
    monkeypatch.setattr(tasks.training_run_task, "delay", lambda **_message: None)
    version, researcher = demo_sized_version
    tied = finished_with_constructed_predictions(version, researcher, ["niqe", "brisque"], "Two equal models")
    clear = finished_with_constructed_predictions(version, researcher, ["niqe", "effnet-lite"], "A clear winner")
    assert {sum(p == "test" for p in run.assignment.values()) for run in tied.training_runs.all()} == {74}
    page = page_for(researcher, viewport=(1400, 900))

    open_dashboard(page, live_server.url + reverse("modeling:benchmark", args=[version.study_id, tied.pk]))
    note = page.text_content("#chart-leaderboard .chart-note")
    assert "cannot be told apart, so none is highlighted as best" in note and "fewer than 30" not in note
    ranks = page.locator("#chart-leaderboard .y-column").first.locator("text").all_text_contents()
    assert sorted(ranks) == ["1", "1", "Rank"], ranks  # both models in the first rank group, and the header
    assert painted_best_cells(page) == 0
    assert painted_best_cells(page, "groups-enhancer") == 0, "no group's tie is painted as a win either"
    screenshot(page, "leaderboard-tied")

    open_dashboard(page, live_server.url + reverse("modeling:benchmark", args=[version.study_id, clear.pk]))
    assert "Best: effnet-lite." in page.text_content("#chart-leaderboard .chart-note")
    assert painted_best_cells(page) == 1, "a separable winner keeps its highlight (the check above can fail)"
    assert painted_best_cells(page, "groups-enhancer") == 4  # effnet-lite's PLCC and SRCC on both enhancers
    screenshot(page, "leaderboard-separable")
