"""Run pages through the Django test client: what they show, their CSVs, Cancel and Retry, and who sees them."""
import json
from html import unescape

import numpy as np
import pytest
import torch
from django.urls import NoReverseMatch, reverse

from modeling.models import RunStatus
from modeling.runs import services as run_services
from moslab_science.benchmarks import Protocol
from moslab_science.charts.pages import MosItem
from moslab_science.charts.runs import RunScores, benchmark_dashboard
from studies import services
from studies.datasets import services as dataset_services
from studies.models import Membership
from tests.modeling.runs.helpers import csv_rows, execute_all, launch

pytestmark = pytest.mark.django_db
REPEATED = Protocol(scheme="seeded", repeats=2, group_column="enhancer")


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def finished(dataset_version, researcher, django_capture_on_commit_callbacks):
    """effnet-lite (trained 2 epochs) and NIQE on two repeated content-grouped splits, all succeeded."""
    benchmark = launch(dataset_version, researcher, models=("effnet-lite", "niqe"), protocol=REPEATED,
                       capture=django_capture_on_commit_callbacks)
    return execute_all(benchmark)


def urls(benchmark, run=None) -> dict[str, str]:
    study = benchmark.version.study_id
    found = {
        "list": reverse("modeling:runs", args=[study]),
        "benchmark": reverse("modeling:benchmark", args=[study, benchmark.pk]),
        "benchmark-csv": reverse("modeling:benchmark-csv", args=[study, benchmark.pk, "leaderboard"]),
    }
    if run is not None:
        found["training"] = reverse("modeling:training-run", args=[study, benchmark.pk, run.pk])
        found["training-csv"] = reverse("modeling:training-run-csv", args=[study, benchmark.pk, run.pk, "scatter"])
    return found


def chart_figures(response) -> dict[str, dict]:
    """Each chart's plotly figure, by slug, as the page hands it to plotly.js."""
    html = response.content.decode()
    figures = {}
    for part in html.split('<script id="figure-')[1:]:
        slug, _, rest = part.partition('"')
        figures[slug] = json.loads(rest.partition(">")[2].partition("</script>")[0])
    return figures


def test_the_benchmark_page_ranks_models_with_numbers_recomputed_from_the_stored_predictions(
        client, finished, researcher):
    client.force_login(researcher)
    page = client.get(urls(finished)["benchmark"])
    assert page.status_code == 200
    html = page.content.decode()
    assert REPEATED.describe() in html and "2 repeated splits, seeds 0..1" in html
    assert "Cancel</button>" not in html and "Retry" not in html, "nothing to cancel or retry"
    assert '<meta http-equiv="refresh"' not in html, "a finished benchmark does not refresh"
    figures = chart_figures(page)
    assert list(figures) == ["leaderboard", "repeats", "groups-enhancer", "mos-histogram-dataset-version",
                             "mos-violin-enhancer", "mos-histogram-enhancer"]
    assert [trace["name"] for trace in figures["repeats"]["data"]] == ["effnet-lite", "niqe"]

    runs = {(run.model, run.repeat): run for run in finished.training_runs.all()}
    rows = {row["model"]: row for row in csv_rows(client.get(urls(finished)["benchmark-csv"]))}
    assert set(rows) == {"effnet-lite", "niqe"}
    for model, row in rows.items():
        stored = [runs[model, repeat].result for repeat in (0, 1)]
        assert float(row["srcc_mean"]) == pytest.approx(np.mean([result["srcc"] for result in stored]))
        assert float(row["srcc_std"]) == pytest.approx(np.std([result["srcc"] for result in stored], ddof=1))
        # the same bootstrap as the run's own (seed = protocol seed + repeat): the same intervals
        assert float(row["srcc_ci95_low"]) == pytest.approx(np.mean([r["ci95"]["srcc"]["low"] for r in stored]))
        assert row["repeats"] == "2"
    assert sorted(row["rank"] for row in rows.values()) == ["1", "2"]

    groups = csv_rows(client.get(reverse("modeling:benchmark-csv",
                                         args=[finished.version.study_id, finished.pk, "groups-enhancer"])))
    niqe_hat = next(row for row in groups if row["model"] == "niqe" and row["enhancer"] == "hat")
    per_repeat = [runs["niqe", r].result["by_group"]["groups"].get("hat", {}).get("srcc") for r in (0, 1)]
    assert float(niqe_hat["srcc"]) == pytest.approx(np.mean([value for value in per_repeat if value is not None]))


def test_the_run_page_draws_curves_the_scatter_with_both_fits_residuals_and_the_log(client, finished, researcher):
    client.force_login(researcher)
    run = finished.training_runs.get(model="effnet-lite", repeat=1)
    page = client.get(urls(finished, run)["training"])
    assert page.status_code == 200
    html = page.content.decode()
    figures = chart_figures(page)
    assert list(figures)[:4] == ["training", "scatter", "residuals", "metrics"] and "groups-enhancer" in figures
    names = [trace["name"] for trace in figures["scatter"]["data"]]
    assert names[0] == "images" and "4th-order polynomial" in names[1] and "4-parameter logistic" in names[2]
    assert figures["scatter"]["layout"]["xaxis"]["title"]["text"] == "Predicted score"
    assert "attempt 1 started on test" in html and '"epochs": 2' in unescape(html)
    scatter = csv_rows(client.get(urls(finished, run)["training-csv"]))
    assert sorted(row["image"] for row in scatter) == sorted(run.predictions)
    assert {"fitted_poly4", "fitted_logistic4"} <= set(scatter[0])
    epochs = csv_rows(client.get(reverse("modeling:training-run-csv",
                                         args=[finished.version.study_id, finished.pk, run.pk, "training"])))
    assert [row["epoch"] for row in epochs] == ["1", "2"] and all(row["train_loss"] for row in epochs)
    metrics = {row["metric"]: row for row in csv_rows(client.get(reverse(
        "modeling:training-run-csv", args=[finished.version.study_id, finished.pk, run.pk, "metrics"])))}
    assert float(metrics["srcc"]["value"]) == pytest.approx(run.result["srcc"])
    missing = client.get(reverse("modeling:training-run-csv",
                                 args=[finished.version.study_id, finished.pk, run.pk, "nothing-here"]))
    assert missing.status_code == 404


def test_researchers_cancel_and_retry_from_the_page_and_an_active_benchmark_refreshes(
        client, dataset_version, researcher, django_capture_on_commit_callbacks):
    benchmark = launch(dataset_version, researcher, models=("niqe", "brisque"), protocol=REPEATED,
                       capture=django_capture_on_commit_callbacks)
    client.force_login(researcher)
    address = urls(benchmark)
    page = client.get(address["benchmark"]).content.decode()
    assert '<meta http-equiv="refresh" content="10">' in page and "Cancel</button>" in page
    assert "No run has succeeded yet" in page and page.count('class="status queued"') == 5  # 4 runs + benchmark
    assert '<meta http-equiv="refresh"' in client.get(address["list"]).content.decode()

    cancel = reverse("modeling:benchmark-cancel", args=[dataset_version.study_id, benchmark.pk])
    retry = reverse("modeling:benchmark-retry", args=[dataset_version.study_id, benchmark.pk])
    followed = client.post(cancel, follow=True)
    assert followed.redirect_chain[-1][0] == address["benchmark"]
    assert "Cancelled 4 run(s)" in followed.content.decode()
    assert set(benchmark.training_runs.values_list("status", flat=True)) == {RunStatus.CANCELLED}
    assert "Retry failed and cancelled runs" in followed.content.decode()

    with django_capture_on_commit_callbacks(execute=False):
        followed = client.post(retry, follow=True)
    assert "Queued 4 failed or cancelled run(s) again" in followed.content.decode()
    assert set(benchmark.training_runs.values_list("attempt", flat=True)) == {2}
    refused = client.post(retry, follow=True).content.decode()
    assert "is still queued; cancel it or wait before retrying" in refused
    assert client.get(cancel).status_code == 405


def test_the_runs_list_shows_each_benchmark_with_its_runs_and_the_launch_link_to_researchers_only(
        client, dataset_version, researcher, coordinator, django_capture_on_commit_callbacks):
    launch(dataset_version, researcher, models=("niqe",), protocol=REPEATED, capture=django_capture_on_commit_callbacks)
    try:
        launch_url = reverse("admin:modeling_benchmarkrun_add")
    except NoReverseMatch:
        launch_url = None
    client.force_login(researcher)
    page = client.get(reverse("modeling:runs", args=[dataset_version.study_id])).content.decode()
    assert "Custom: niqe</a>" in page
    assert "0/2 succeeded, 2 queued" in page and "res</td>" in page
    assert ("Launch a benchmark" in page) == (launch_url is not None)
    client.force_login(coordinator)
    page = client.get(reverse("modeling:runs", args=[dataset_version.study_id])).content.decode()
    assert "0/2 succeeded" in page and "Launch a benchmark" not in page and "POST /api/runs/" not in page
    detail = reverse("studies:detail", args=[dataset_version.study_id])
    assert reverse("modeling:runs", args=[dataset_version.study_id]) in client.get(detail).content.decode()


def test_coordinators_read_but_cannot_cancel_or_retry_and_annotators_and_strangers_get_nothing(
        client, finished, coordinator, researcher, make_user):
    study = finished.version.study
    annotator, stranger = make_user("ann"), make_user("stranger")
    services.membership_add(study=study, user=annotator, role=Membership.Role.ANNOTATOR)
    run = finished.training_runs.first()
    pages = urls(finished, run)
    controls = [reverse(f"modeling:benchmark-{action}", args=[study.pk, finished.pk]) for action in ("cancel", "retry")]

    client.force_login(coordinator)
    for address in pages.values():
        assert client.get(address).status_code == 200, address
    assert "Retry" not in client.get(pages["benchmark"]).content.decode()
    finished.training_runs.filter(pk=run.pk).update(status=RunStatus.FAILED)
    finished.status = RunStatus.FAILED
    finished.save()
    for address in controls:
        assert client.post(address).status_code == 403
    assert finished.training_runs.get(pk=run.pk).attempt == 1

    for user in (annotator, stranger):
        client.force_login(user)
        for address in [*pages.values(), *controls]:
            response = client.post(address) if address in controls else client.get(address)
            assert response.status_code == 404, (user.username, address)
    client.logout()
    assert client.get(pages["benchmark"]).status_code == 302  # to the login page


def test_a_benchmark_is_reached_only_through_its_own_study(
        client, finished, researcher, coordinator, tmp_path):
    from studies.datasets.imports import dataset_import
    from tests.modeling.runs.conftest import write_dataset

    table, images = write_dataset(tmp_path / "other", count=12)
    other = dataset_import(name="Other", slug="other", by=coordinator, source_format="mos_table", source=table,
                           images=images, scale=(1, 5), options={"name": "image", "mos": "mos"}).study
    services.membership_add(study=other, user=researcher, role=Membership.Role.RESEARCHER)
    dataset_services.dataset_version_create(study=other, by=coordinator)
    client.force_login(researcher)
    run = finished.training_runs.first()
    for name, args in (("benchmark", [other.pk, finished.pk]), ("training-run", [other.pk, finished.pk, run.pk]),
                       ("benchmark-csv", [other.pk, finished.pk, "leaderboard"])):
        assert client.get(reverse(f"modeling:{name}", args=args)).status_code == 404
    assert client.post(reverse("modeling:benchmark-cancel", args=[other.pk, finished.pk])).status_code == 404
    assert str(finished.name) not in client.get(reverse("modeling:runs", args=[other.pk])).content.decode()


def test_a_running_run_shows_its_curves_so_far_and_refreshes(
        client, dataset_version, researcher, django_capture_on_commit_callbacks):
    benchmark = launch(dataset_version, researcher, capture=django_capture_on_commit_callbacks)
    run = run_services.training_run_claim(run_id=benchmark.training_runs.get().pk, attempt=1, worker="gpu-1")
    record = {"epoch": 1, "train_loss": 0.8, "val_srcc": 0.5, "val_plcc": 0.6, "val_krcc": 0.4, "seconds": 1.0}
    run_services.training_run_progress(run=run, fields={"epoch": 1, "metrics": [record], "progress": 0.5},
                                       log_lines=["epoch 1: loss 0.8"])
    client.force_login(researcher)
    page = client.get(urls(benchmark, run)["training"])
    html = page.content.decode()
    assert list(chart_figures(page)) == ["training"]
    assert '<meta http-equiv="refresh" content="10">' in html and "epoch 1/2" in html and "gpu-1" in html
    benchmark_page = client.get(urls(benchmark)["benchmark"]).content.decode()
    assert 'class="status running"' in benchmark_page and "50%" in benchmark_page


def test_runs_whose_predictions_cannot_be_evaluated_are_reported_not_ranked():
    items = [MosItem(f"i{index}", 1 + index / 3, {"enhancer": "hat" if index % 2 else "esrgan"})
             for index in range(12)]
    good = RunScores(1, "good", 0, 0, {item.name: item.mos + 0.01 * (index % 3) for index, item in enumerate(items)})
    constant = RunScores(2, "flat", 0, 0, {item.name: 3.0 for item in items})
    dashboard = benchmark_dashboard([good, constant], items, protocol="test protocol", rank_by="srcc",
                                    scale=(1, 5), resamples=50)
    assert len(dashboard.problems) == 1 and dashboard.problems[0].startswith("flat, repeat 0 (run #2): ")
    leaderboard = dashboard.chart("leaderboard")
    assert [row[1] for row in leaderboard.rows] == ["good"] and leaderboard.note.startswith("test protocol")
    assert "fewer than 30" in leaderboard.note
    assert dashboard.chart("repeats") is None, "one repeat: no spread to draw"
    assert [chart.slug for chart in dashboard.charts][2:] == [
        "mos-histogram-dataset-version", "mos-violin-enhancer", "mos-histogram-enhancer"]
