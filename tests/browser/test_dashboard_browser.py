"""Headless Chromium loads every dashboard: plotly (served locally) draws each chart, nothing leaves localhost."""
import io
from urllib.parse import urlparse

import pytest
from django.urls import reverse

from studies import services
from studies.models import Membership
from tests.browser.conftest import screenshot
from tests.modeling.test_dashboard_pages import build_rated_study, predictions_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LOCAL_HOSTS = {"localhost", "127.0.0.1"}


@pytest.fixture
def dashboard_study(coordinator, make_user, tmp_path):
    study = build_rated_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "rated", stimuli=18)
    researcher = make_user("researcher")
    services.membership_add(study=study, user=researcher, role=Membership.Role.RESEARCHER)
    return study, researcher


def open_dashboard(page, url: str) -> list:
    """Load ``url``, wait until every chart has its plotly SVG, and return the charts drawn."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    charts = page.query_selector_all("figure.chart")
    page.wait_for_function(
        "n => document.querySelectorAll('figure.chart .js-plotly-plot .main-svg').length >= n", arg=len(charts)
    )
    return charts


def test_every_dashboard_renders_offline_without_console_errors(page_for, dashboard_study, live_server, tmp_path):
    study, researcher = dashboard_study
    page = page_for(researcher, viewport=(1280, 900))
    errors, requests = [], []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))

    upload_page = f"{live_server.url}{reverse('modeling:predictions', args=[study.pk])}"
    page.goto(upload_page)
    for model, noise, seed in (("sharp-model", 0.15, 1), ("noisy-model", 0.6, 2)):
        path = tmp_path / f"{model}.csv"
        path.write_bytes(predictions_csv(study, noise=noise, seed=seed))
        page.fill("input[name=model]", model)
        page.set_input_files("input[name=predictions]", str(path))
        page.click("text=Upload and evaluate")
        page.wait_for_url("**/dashboards/predictions/sharp-model-*/" if model == "sharp-model" else "**/noisy-model-*/")
        page.goto(upload_page)
    drawn = {}
    pages = {
        "mos": reverse("modeling:mos", args=[study.pk]),
        "raters": reverse("modeling:raters", args=[study.pk]),
        "predictions": reverse("modeling:predictions", args=[study.pk]),
    }
    for name, url in pages.items():
        drawn[name] = len(open_dashboard(page, live_server.url + url))
        screenshot(page, f"dashboard-{name}")
    page.click("text=noisy-model")  # its fitted curves differ visibly
    drawn["prediction-set"] = len(open_dashboard(page, page.url))
    screenshot(page, "dashboard-prediction-set")

    assert drawn == {"mos": 5, "raters": 4, "predictions": 3, "prediction-set": 5}
    assert errors == []
    outside = [url for url in requests if urlparse(url).hostname not in LOCAL_HOSTS and not url.startswith("data:")]
    assert outside == []
    assert any(url.endswith("/static/vendor/plotly/plotly-4.1.2.min.js") for url in requests)

    with page.expect_download() as download_info:
        page.click("#chart-scatter [data-download=svg]")
    download = download_info.value
    assert download.suggested_filename == f"{study.slug}-scatter.svg"
    assert download.path().read_bytes().lstrip().startswith(b"<svg")
    with page.expect_download() as download_info:
        page.click("#chart-scatter [data-download=png]")
    assert download_info.value.path().read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    csv_link = page.get_attribute("#chart-scatter a[download]", "href")
    response = page.request.get(live_server.url + csv_link)
    assert response.ok and response.text().startswith("image,prediction,mos")
    assert io.StringIO(response.text()).read().count("\n") == 1 + 18
