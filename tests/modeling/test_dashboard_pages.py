"""Dashboard pages through the Django test client: scoping (annotators and outsiders get 404), data, CSV, uploads."""
import csv
import io
import uuid

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from scipy import stats

from modeling.dashboards.selectors import predictions_folder
from studies import services
from studies.models import Membership, MosComputation, StimulusMos
from tests.conftest import write_image

pytestmark = pytest.mark.django_db

DEGRADATIONS = ("blur", "noise", "=dark")  # one label starts like a spreadsheet formula
ENHANCERS = ("sharpen", "denoise")


def build_rated_study(*, coordinator, make_user, folder, slug="dash", method="mle", stimuli=12, raters=6):
    """Stimuli in degradation/enhancer groups; raters follow a known quality, the last one inverts it."""
    rows = ["file,source_content,group_degradation,group_enhancer"]
    for index in range(stimuli):
        write_image(folder / f"s{index:02d}.png", seed=300 + index)
        rows.append(f"s{index:02d}.png,src{index // 3},{DEGRADATIONS[index % 3]},{ENHANCERS[index % 2]}")
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n")
    study = services.study_create(name=f"Dashboards {slug}", slug=slug, created_by=coordinator,
                                  raters_per_stimulus=raters)
    services.membership_add(study=study, user=coordinator, role=Membership.Role.COORDINATOR)
    services.stimuli_import(study=study, source=folder)
    study.status = study.Status.OPEN
    study.save()
    rng = np.random.default_rng(11)
    quality = np.linspace(1.4, 4.6, stimuli)
    for rater_index in range(raters):
        rater = make_user(f"{slug}-rater{rater_index}")
        services.membership_add(study=study, user=rater, role=Membership.Role.ANNOTATOR)
        for stimulus, q in zip(study.stimuli.order_by("name"), quality, strict=True):
            value = 6 - q if rater_index == raters - 1 else q + rng.normal(0, 0.5)
            score = float(np.clip(np.rint(value), 1, 5))
            services.rating_record(study=study, stimulus=stimulus, rater=rater, score=score, client_id=uuid.uuid4(),
                                   details={"verified": True})
    computation = services.mos_computation_start(study=study, by=coordinator, method=method)
    services.mos_computation_run(computation_id=computation.pk)
    return study


@pytest.fixture
def rated(coordinator, make_user, tmp_path):
    return build_rated_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "rated")


@pytest.fixture
def researcher(rated, make_user):
    user = make_user("researcher")
    services.membership_add(study=rated, user=user, role=Membership.Role.RESEARCHER)
    return user


def predictions_csv(study, *, noise=0.3, seed=0, names=None) -> bytes:
    rng = np.random.default_rng(seed)
    computation = study.mos_computations.get()
    lines = ["image,score"]
    for result in StimulusMos.objects.filter(computation=computation).select_related("stimulus"):
        if names is None or result.stimulus.name in names:
            lines.append(f"{result.stimulus.name},{10 * result.mos + rng.normal(0, noise * 10):.6f}")
    return ("\n".join(lines) + "\n").encode()


def upload(client, study, content: bytes, model="tiny-model"):
    return client.post(reverse("modeling:predictions", args=[study.pk]),
                       {"model": model, "predictions": io.BytesIO(content)}, format="multipart")


def page_urls(study, key="x-000000000000"):
    return [
        reverse("modeling:mos", args=[study.pk]),
        reverse("modeling:mos-csv", args=[study.pk, "mos-histogram-study"]),
        reverse("modeling:raters", args=[study.pk]),
        reverse("modeling:raters-csv", args=[study.pk, "agreement"]),
        reverse("modeling:predictions", args=[study.pk]),
        reverse("modeling:predictions-csv", args=[study.pk, "leaderboard"]),
        reverse("modeling:prediction-set", args=[study.pk, key]),
        reverse("modeling:prediction-set-csv", args=[study.pk, key, "scatter"]),
    ]


def test_annotators_outsiders_and_anonymous_users_reach_no_dashboard(client, rated, researcher, make_user):
    response = upload(client.__class__(), rated, b"")  # anonymous: sent to log in, nothing stored
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(researcher)
    key = upload(client, rated, predictions_csv(rated))["Location"].rstrip("/").rsplit("/", 1)[1]
    urls = page_urls(rated, key)
    for url in urls:
        assert client.get(url).status_code == 200, url
    annotator = Membership.objects.filter(study=rated, role=Membership.Role.ANNOTATOR).first().user
    outsider = make_user("outsider")
    for user in (annotator, outsider):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
        assert upload(client, rated, predictions_csv(rated), model="sneaky").status_code == 404
    assert [name.split("-")[0] for name in stored_predictions(rated)] == ["tiny"]
    client.logout()
    assert client.get(urls[0]).status_code == 302


def test_mos_dashboard_draws_each_groups_mos(client, rated, researcher):
    client.force_login(researcher)
    response = client.get(reverse("modeling:mos", args=[rated.pk]))
    charts = {chart.slug: chart for chart, _ in response.context["charts"]}
    assert set(charts) == {"mos-histogram-study", "mos-violin-degradation", "mos-histogram-degradation",
                           "mos-violin-enhancer", "mos-histogram-enhancer"}
    stored = {r.stimulus.name: (r.mos, r.stimulus.groups) for r in StimulusMos.objects.select_related("stimulus")}
    for trace in charts["mos-violin-degradation"].figure["data"]:
        expected = sorted((name, mos) for name, (mos, groups) in stored.items() if groups["degradation"] == trace["x0"])
        assert sorted(zip(trace["text"], trace["y"], strict=True)) == expected
    assert b'id="figure-mos-violin-enhancer"' in response.content
    assert b"vendor/plotly/plotly-4.1.2.min.js" in response.content


def test_chart_csv_holds_the_charts_rows_with_formula_guard(client, rated, researcher):
    client.force_login(researcher)
    response = client.get(reverse("modeling:mos-csv", args=[rated.pk, "mos-violin-degradation"]))
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="dash-mos-mos-violin-degradation.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["degradation", "image", "mos"]
    assert len(rows) == 1 + StimulusMos.objects.filter(mos__isnull=False).count()
    assert {row[0] for row in rows[1:]} == {"blur", "noise", "'=dark"}
    stored = {r.stimulus.name: r.mos for r in StimulusMos.objects.select_related("stimulus")}
    assert all(float(row[2]) == stored[row[1]] for row in rows[1:])
    assert client.get(reverse("modeling:mos-csv", args=[rated.pk, "no-such-chart"])).status_code == 404


def test_rater_page_shows_the_computations_reports_and_agreement(client, rated, researcher, coordinator, make_user,
                                                                 tmp_path):
    client.force_login(researcher)
    response = client.get(reverse("modeling:raters", args=[rated.pk]))
    charts = {chart.slug: chart for chart, _ in response.context["charts"]}
    computation = rated.mos_computations.get()
    reports = {r.rater.username: r for r in computation.subject_reports.select_related("rater")}
    points = [p for trace in charts["rater-bias"].figure["data"]
              for p in zip(trace["text"], trace["x"], trace["y"], strict=True)]
    assert sorted(points) == sorted((name, r.bias, r.inconsistency) for name, r in reports.items())
    agreement = {row[0]: row[1] for row in charts["agreement"].rows}
    assert 0 < agreement["Krippendorff's alpha (interval)"] < 1
    assert agreement["ICC(2,1)"] is not None  # every rater rated every stimulus
    other = build_rated_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "other", slug="other",
                              method="bt500", stimuli=6, raters=3)
    foreign = other.mos_computations.get().pk
    assert client.get(reverse("modeling:raters", args=[rated.pk]) + f"?computation={foreign}").status_code == 404
    assert client.get(reverse("modeling:raters", args=[rated.pk]) + "?computation=abc").status_code == 404


def test_uploaded_predictions_are_evaluated_against_the_latest_mos(client, rated, researcher):
    client.force_login(researcher)
    content = predictions_csv(rated)
    response = upload(client, rated, content)
    assert response.status_code == 302
    assert upload(client, rated, content)["Location"] == response["Location"]  # the same upload again: no-op
    assert len(stored_predictions(rated)) == 1
    page = client.get(response["Location"])
    evaluation = page.context["evaluation"]
    predicted = dict(row.split(",") for row in content.decode().split()[1:])
    stored = {r.stimulus.name: r.mos for r in StimulusMos.objects.select_related("stimulus")}
    names = sorted(stored)
    expected = stats.spearmanr([float(predicted[n]) for n in names], [stored[n] for n in names]).statistic
    assert evaluation.srcc == pytest.approx(expected)
    slugs = [chart.slug for chart, _ in page.context["charts"]]
    assert slugs == ["scatter", "residuals", "metrics", "groups-degradation", "groups-enhancer"]
    csv_url = dict((chart.slug, url) for chart, url in page.context["charts"])["scatter"]
    rows = list(csv.reader(io.StringIO(client.get(csv_url).content.decode())))
    assert rows[0][:3] == ["image", "prediction", "mos"] and len(rows) == 1 + len(names)
    index = client.get(reverse("modeling:predictions", args=[rated.pk]))
    leaderboard = next(chart for chart, _ in index.context["charts"] if chart.slug == "leaderboard")
    assert leaderboard.rows[0][1] == "tiny-model"
    assert "computation #" in leaderboard.note


def test_a_second_model_joins_the_leaderboard_and_group_tables(client, rated, researcher):
    client.force_login(researcher)
    upload(client, rated, predictions_csv(rated, noise=0.05), model="sharp")
    upload(client, rated, predictions_csv(rated, noise=1.5, seed=3), model="blurry")
    charts = {chart.slug: chart for chart, _ in client.get(reverse("modeling:predictions", args=[rated.pk]))
              .context["charts"]}
    assert [row[1] for row in charts["leaderboard"].rows] == ["sharp", "blurry"]
    assert {row[1] for row in charts["groups-degradation"].rows} == {"sharp", "blurry"}


@pytest.mark.parametrize(("content", "message"), [
    (b"image,score\nnot-a-stimulus.png,1.0\ns00.png,2.0\n", "not stimuli of this study"),
    (b"image,score\ns00.png,nan\ns01.png,2\n", "not a finite number"),
    (b"name,value\ns00.png,1\n", "missing column"),
])
def test_bad_prediction_files_are_refused_with_what_to_fix(client, rated, researcher, content, message):
    client.force_login(researcher)
    response = upload(client, rated, content)
    assert response.status_code == 302 and response["Location"].endswith("/dashboards/predictions/")
    page = client.get(response["Location"])
    assert message in " ".join(str(m) for m in page.context["messages"])
    assert stored_predictions(rated) == []


def test_the_command_stores_predictions_and_prints_the_page(rated, tmp_path):
    path = tmp_path / "pred.csv"
    path.write_bytes(predictions_csv(rated))
    out = io.StringIO()
    call_command("dashboard_predictions", "dash", str(path), "--model", "cli model", stdout=out)
    assert f"/studies/{rated.pk}/dashboards/predictions/cli-model-" in out.getvalue()
    assert [name.startswith("cli-model-") for name in stored_predictions(rated)] == [True]


def test_pages_explain_when_no_mos_exists_yet(client, open_study, coordinator):
    services.membership_add(study=open_study, user=coordinator, role=Membership.Role.COORDINATOR)
    client.force_login(coordinator)
    for name in ("mos", "raters", "predictions"):
        response = client.get(reverse(f"modeling:{name}", args=[open_study.pk]))
        assert response.status_code == 200 and response.context["charts"] == []
        assert b"No MOS computation has succeeded" in response.content
    assert not MosComputation.objects.filter(study=open_study).exists()


def stored_predictions(study) -> list[str]:
    """The file names in the study's predictions folder of the media storage."""
    try:
        return default_storage.listdir(predictions_folder(study))[1]
    except FileNotFoundError:
        return []


def test_an_empty_predictions_file_is_named_as_uploaded(client, rated, researcher, tmp_path):
    client.force_login(researcher)
    response = client.post(reverse("modeling:predictions", args=[rated.pk]), {
        "model": "sharp", "predictions": SimpleUploadedFile("sharp-preds.csv", b"", content_type="text/csv")},
        follow=True)
    message = " ".join(str(m) for m in response.context["messages"])
    assert "sharp-preds.csv is empty: it needs a header row" in message
    path = tmp_path / "cli-preds.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="cli-preds.csv is empty"):
        call_command("dashboard_predictions", "dash", str(path), "--model", "cli model")
    assert stored_predictions(rated) == []
