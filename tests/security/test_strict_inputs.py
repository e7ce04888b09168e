"""Input an attacker sends: wrong JSON types, deep nesting, a PNG as a CSV, a seed too large for any column."""
import io
import json
import uuid

import pytest
from django.urls import reverse

from annotation.models import RatingTask
from studies.models import DatasetVersion, Rating
from tests.conftest import write_image

pytestmark = pytest.mark.django_db


def vote_url(study) -> str:
    return reverse("api:rating-submit", args=[study.pk])


def annotator_task(study):
    return RatingTask.objects.filter(study=study, annotator__username="annotator").order_by("position").first()


@pytest.mark.parametrize("score", [True, False, "5", "4.0", None, [4], {"value": 4}])
def test_the_vote_api_takes_only_a_json_number_as_score(rated, client_for, score):
    task = annotator_task(rated)
    response = client_for("annotator").post(vote_url(rated), {"task_id": task.pk, "client_id": str(uuid.uuid4()),
                                                              "score": score}, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "score" in response.json()
    assert not Rating.objects.filter(rater__username="annotator").exists()


def test_a_number_score_is_still_accepted(rated, client_for):
    task = annotator_task(rated)
    response = client_for("annotator").post(vote_url(rated), {"task_id": task.pk, "client_id": str(uuid.uuid4()),
                                                              "score": 4}, content_type="application/json")
    assert response.status_code == 201, response.content


def test_dimension_scores_refuse_strings_and_booleans(rated, client_for):
    task = annotator_task(rated)
    response = client_for("annotator").post(vote_url(rated), {"task_id": task.pk, "client_id": str(uuid.uuid4()),
                                                              "scores": {"overall": True}},
                                            content_type="application/json")
    assert response.status_code == 400 and "scores" in response.json()


@pytest.mark.parametrize("depth", [40, 5000, 100_000])
def test_deeply_nested_json_is_refused_with_400(rated, client_for, depth):
    body = '{"task_id": 1, "display": ' + "[" * depth + "]" * depth + "}"
    response = client_for("annotator").post(vote_url(rated), body, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_malformed_json_is_refused_with_400(rated, client_for):
    response = client_for("annotator").post(vote_url(rated), '{"score": ', content_type="application/json")
    assert response.status_code == 400 and "JSON" in response.json()["detail"]


def test_a_png_uploaded_as_predictions_csv_is_refused_clearly(rated, client_for, tmp_path):
    png = write_image(tmp_path / "not-a-table.png").read_bytes()
    client = client_for("researcher")
    response = client.post(reverse("modeling:predictions", args=[rated.pk]),
                           {"model": "m", "predictions": io.BytesIO(png)}, format="multipart")
    assert response.status_code == 302
    page = client.get(response["Location"])
    shown = " ".join(str(message) for message in page.context["messages"])
    assert "not a CSV text file" in shown


@pytest.mark.parametrize("seed", ["99999999999999999999", "-1", "1e400", "nan"])
def test_a_split_seed_out_of_range_is_refused_in_the_form(rated, client_for, seed):
    version = DatasetVersion.objects.get(study=rated)
    client = client_for("coord")
    response = client.post(reverse("studies:dataset-split-create", args=[rated.pk, version.pk]),
                           {"kind": "ratio", "seed": seed, "ratios": "train=8,test=2"})
    assert response.status_code == 302
    shown = " ".join(str(message) for message in client.get(response["Location"]).context["messages"])
    assert "seed" in shown and "0 and 2147483647" in shown
    assert DatasetVersion.objects.filter(study=rated).count() == 1


def test_a_split_seed_out_of_range_is_refused_by_the_api(rated, client_for):
    version = DatasetVersion.objects.get(study=rated)
    response = client_for("coord").post(
        reverse("datasets-api:split-create", args=[rated.pk, version.pk]),
        json.dumps({"kind": "ratio", "seed": 99999999999999999999}), content_type="application/json")
    assert response.status_code == 400 and "seed" in response.json()
    assert DatasetVersion.objects.filter(study=rated).count() == 1


def test_a_nul_character_in_a_form_field_or_a_query_answers_400_not_500(rated, client_for):
    """PostgreSQL cannot compare text holding NUL: the fuzz test found a 500 on the version form's dimension."""
    client = client_for("coord")
    versions = DatasetVersion.objects.filter(study=rated).count()
    page = client.post(f"/studies/{rated.pk}/datasets/", {"label": "v", "dimension": "tech\x00nical"})
    assert page.status_code == 400 and "NUL" in page.content.decode()
    assert DatasetVersion.objects.filter(study=rated).count() == versions, "nothing was taken"
    api = client.get(f"/api/studies/{rated.pk}/stimuli/", {"search": "a\x00b"})
    assert api.status_code == 400 and "NUL" in api.json()["detail"]
