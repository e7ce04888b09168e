"""The MOS and rater-quality dashboards of a study rated on several dimensions: ?dimension= picks the
computations of that dimension, a picker offers the study's dimensions, the chart CSVs follow."""
import csv
import io
import uuid

import pytest
from django.urls import reverse

from studies import services
from studies.models import MosComputation
from tests.studies.conftest import RATERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def computations(video_study, coordinator) -> dict[str, MosComputation]:
    made = {}
    for dimension in ("technical", "aesthetic"):
        started = services.mos_computation_start(study=video_study, by=coordinator, method="correlation",
                                                 dimension=dimension)
        made[dimension] = services.mos_computation_run(computation_id=started.pk)
    return made


def page(client, name, study, query="") -> str:
    response = client.get(reverse(f"modeling:{name}", args=[study.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


def test_the_mos_dashboard_shows_the_dimension_asked_for(client, video_study, coordinator, computations):
    client.force_login(coordinator)
    for dimension, computation in computations.items():
        html = page(client, "mos", video_study, f"?dimension={dimension}")
        assert f"MOS computation <a href=\"/studies/{video_study.pk}/mos/{computation.pk}/\">#{computation.pk}</a>" \
            in html and f"on the {dimension} dimension" in html
        assert 'id="dimension-picker"' in html and f'<option value="{dimension}" selected>' in html
    default = page(client, "mos", video_study)
    assert f"#{computations['technical'].pk}</a>" in default, "the study's first dimension by default"
    alignment = page(client, "mos", video_study, "?dimension=alignment")
    assert "No MOS computation of the alignment dimension has succeeded" in alignment
    assert client.get(reverse("modeling:mos", args=[video_study.pk]) + "?dimension=colour").status_code == 404


def test_the_chart_csv_follows_the_dimension(client, video_study, coordinator, computations):
    client.force_login(coordinator)
    csv_url = reverse("modeling:mos-csv", args=[video_study.pk, "mos-histogram-study"])
    by_dimension = {}
    for dimension in computations:
        response = client.get(csv_url + f"?dimension={dimension}")
        assert response.status_code == 200
        by_dimension[dimension] = list(csv.reader(io.StringIO(response.content.decode())))
    assert by_dimension["technical"] != by_dimension["aesthetic"]


def test_the_rater_dashboard_shows_each_dimensions_screening(client, video_study, coordinator, computations):
    client.force_login(coordinator)
    technical = page(client, "raters", video_study, "?dimension=technical")
    aesthetic = page(client, "raters", video_study, "?dimension=aesthetic")
    assert f"#{computations['technical'].pk}</a>" in technical and "on the technical dimension" in technical
    assert f"#{computations['aesthetic'].pk}</a>" in aesthetic
    rows = {}
    for dimension in computations:
        url = reverse("modeling:raters-csv", args=[video_study.pk, "screening"])
        response = client.get(url + f"?dimension={dimension}")
        assert response.status_code == 200, response.content[:200]
        rows[dimension] = list(csv.DictReader(io.StringIO(response.content.decode())))
    for dimension, expected in (("technical", {"rater5"}), ("aesthetic", set())):
        assert len(rows[dimension]) == RATERS
        rejected = {row["rater"] for row in rows[dimension] if row["final_decision"] == "rejected"}
        assert rejected == expected, rows[dimension]
    named = page(client, "raters", video_study, f"?computation={computations['aesthetic'].pk}")
    assert '<option value="aesthetic" selected>' in named, "a computation in the URL sets the dimension"


def test_the_predictions_pages_take_the_dimension_too(client, video_study, coordinator, computations):
    client.force_login(coordinator)
    url = reverse("modeling:predictions", args=[video_study.pk])
    assert client.get(url + "?dimension=aesthetic").status_code == 200
    assert client.get(url + "?dimension=colour").status_code == 404


def test_a_single_score_study_has_no_picker(client, open_study, annotators, coordinator):
    for stimulus in open_study.stimuli.all():
        for rater in annotators:
            services.rating_record(study=open_study, stimulus=stimulus, rater=rater, score=3, client_id=uuid.uuid4(),
                                   details={"verified": True})
    services.mos_computation_run(
        computation_id=services.mos_computation_start(study=open_study, by=coordinator).pk)
    client.force_login(coordinator)
    html = page(client, "mos", open_study)
    assert "dimension-picker" not in html and "No MOS computation" not in html
