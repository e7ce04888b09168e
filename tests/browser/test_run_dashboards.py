"""Headless Chromium on the run pages: the list, a benchmark's leaderboard and tables, a training run's charts."""
import pytest

from modeling import tasks
from modeling.runs import services as run_services
from moslab_science.benchmarks import Protocol
from tests.browser.conftest import screenshot
from tests.browser.test_dashboard_browser import open_dashboard
from tests.modeling.runs.conftest import dataset_version, researcher  # noqa: F401  (the fixtures)
from tests.modeling.runs.helpers import execute_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NO_OVERFLOW = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
TINY = {"preset": "tiny", "train": {"epochs": 3, "batch_size": 4}}


@pytest.fixture
def benchmarks(dataset_version, researcher, monkeypatch):  # noqa: F811
    """A finished benchmark of three models on two repeated splits, and a cancelled one.

    The test runs the training runs itself, so the Celery messages of the launches are dropped, not sent.
    """
    monkeypatch.setattr(tasks.training_run_task, "delay", lambda **_message: None)
    protocol = Protocol(scheme="seeded", repeats=2, group_column="enhancer", rank_by="ntire2024")
    finished = run_services.benchmark_launch(
        version=dataset_version, by=researcher, models=["effnet-lite", "niqe", "brisque"], protocol=protocol,
        hyperparameters=TINY, device="cpu", name="Brightness: effnet-lite vs classical")
    cancelled = run_services.benchmark_launch(
        version=dataset_version, by=researcher, models=["niqe"], protocol=Protocol(scheme="seeded", seed=9),
        hyperparameters={}, device="cpu")
    run_services.benchmark_cancel(benchmark=cancelled, by=researcher)
    return execute_all(finished), cancelled


def test_run_pages_render_readable_charts_offline(page_for, benchmarks, researcher, live_server):  # noqa: F811
    finished, _ = benchmarks
    study = finished.version.study_id
    page = page_for(researcher, viewport=(1280, 900))
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/studies/{study}/runs/")
    assert page.locator("#benchmarks tbody tr").count() == 2
    assert page.evaluate(NO_OVERFLOW)
    screenshot(page, "runs-list")

    page.click("text=Brightness: effnet-lite vs classical")
    charts = open_dashboard(page, page.url)
    assert [chart.get_attribute("id") for chart in charts] == [
        "chart-leaderboard", "chart-repeats", "chart-groups-enhancer", "chart-mos-histogram-dataset-version",
        "chart-mos-violin-enhancer", "chart-mos-histogram-enhancer"]
    assert "Random train:val:test 7:1:2 split" in page.text_content("#protocol")
    assert page.locator("#training-runs tbody tr").count() == 6
    assert page.evaluate(NO_OVERFLOW)
    screenshot(page, "runs-benchmark")

    page.locator("#training-runs a:has-text('effnet-lite')").first.click()
    charts = open_dashboard(page, page.url)
    assert [chart.get_attribute("id") for chart in charts][:4] == [
        "chart-training", "chart-scatter", "chart-residuals", "chart-metrics"]
    legend = page.locator("#chart-scatter .legendtext").all_text_contents()
    assert any("4th-order polynomial" in text for text in legend) and any("logistic" in text for text in legend)
    assert page.evaluate(NO_OVERFLOW)
    screenshot(page, "runs-training")
    with page.expect_download() as download_info:
        page.click("#chart-scatter [data-download=svg]")
    assert download_info.value.path().read_bytes().lstrip().startswith(b"<svg")
    assert errors == []
