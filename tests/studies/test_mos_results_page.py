"""A computation's results are written in bulk and served a page at a time from the stored rows."""
import re

import pytest
from django.urls import reverse

from studies import services
from studies.models import Membership, MosComputation, Rating, Stimulus, StimulusMos

pytestmark = pytest.mark.django_db
STIMULI = 250


@pytest.fixture
def computed(coordinator, make_user):
    """250 stimuli named in an order their primary keys do not follow, 3 raters, a plain-mean computation run."""
    study = services.study_create(name="Paged", slug="paged", created_by=coordinator)
    names = [f"img{(index * 37) % STIMULI:04d}.png" for index in range(STIMULI)]
    Stimulus.objects.bulk_create([Stimulus(study=study, name=name) for name in names])
    raters = [make_user(f"paged-rater{index}") for index in range(3)]
    Rating.objects.bulk_create([
        Rating(study=study, stimulus_id=stimulus_pk, rater=rater, score=float(1 + (stimulus_pk + index) % 5),
               verified=True)
        for stimulus_pk in Stimulus.objects.filter(study=study).values_list("pk", flat=True)
        for index, rater in enumerate(raters)
    ])
    computation = services.mos_computation_start(study=study, by=coordinator)
    return services.mos_computation_run(computation_id=computation.pk)


def test_results_are_stored_with_their_place_by_name(computed):
    assert computed.status == MosComputation.Status.SUCCEEDED, computed.error
    stored = list(StimulusMos.objects.filter(computation=computed).order_by("position")
                  .values_list("position", "stimulus__name", "count"))
    assert [position for position, _, _ in stored] == list(range(STIMULI))
    assert [name for _, name, _ in stored] == sorted(name for _, name, _ in stored)
    assert {count for _, _, count in stored} == {3}
    assert computed.num_ratings == 3 * STIMULI


def names_on(page: str) -> list[str]:
    table = page.split('id="mos-results"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr><td>(img\d+\.png)</td>", table)


def test_the_results_page_shows_one_page_of_rows(client, coordinator, computed, django_assert_max_num_queries):
    client.force_login(coordinator)
    url = reverse("studies:mos-detail", args=[computed.study_id, computed.pk])
    every = [f"img{index:04d}.png" for index in range(STIMULI)]
    first = client.get(url).content.decode()
    assert names_on(first) == every[:100]
    assert "Stimuli 1–100 of 250" in first and 'href="?page=2"' in first
    with django_assert_max_num_queries(12):  # a page reads a range of rows, whatever the result's size
        last = client.get(url, {"page": 3}).content.decode()
    assert names_on(last) == every[200:]
    assert names_on(client.get(url, {"page": 99}).content.decode()) == every[200:], "out of range: the last page"
    assert names_on(client.get(url, {"page": "x"}).content.decode()) == every[:100]


def test_an_annotator_cannot_read_the_results(client, computed, make_user):
    annotator = make_user("paged-annotator")
    services.membership_add(study=computed.study, user=annotator, role=Membership.Role.ANNOTATOR)
    client.force_login(annotator)
    response = client.get(reverse("studies:mos-detail", args=[computed.study_id, computed.pk]))
    assert response.status_code == 404
