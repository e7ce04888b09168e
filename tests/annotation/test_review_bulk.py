"""The review queue at scale: filters by disagreement size, rater and source, and one decision on every image
ticked (all or nothing), scoped to the study; votes show their deductions and reasons in full."""
import re

import pytest
from django.urls import reverse

from annotation import enrolment_services
from annotation.models import RatingTask, StimulusReview
from studies.models import Rating
from tests.annotation.helpers import protocol_study
from tests.annotation.test_review_and_concurrency import rate_all

pytestmark = pytest.mark.django_db
LONG_REASON = "the sky banding is visible across the whole upper third of the frame " * 3


@pytest.fixture
def flagged(coordinator, make_user, tmp_path):
    """6 images of 3 sources, 3 raters; the last one disagrees by 4 points on source0 and 3 on source1."""
    study, users = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "i", sources=3,
                                  per_source=2, annotators=3, raters_per_stimulus=3)
    outlier_scores = {"src0": 1, "src1": 2, "src2": 5}
    for index, user in enumerate(users):
        enrolment_services.enrolment_accept_instructions(
            enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
        rate_all(study, user, lambda task, i=index: 5 if i < 2 else outlier_scores[task.stimulus.name[:4]])
    Rating.objects.filter(study=study, rater=users[2]).update(reason=LONG_REASON)
    return study, users


def open_names(study):
    return sorted(StimulusReview.objects.filter(study=study, status="open").values_list("stimulus__name", flat=True))


def shown(html: str) -> list[str]:
    return sorted(re.findall(r'class="pick"> (\S+)</label>', html))


def test_the_queue_filters_by_spread_rater_and_source(client, coordinator, flagged):
    study, users = flagged
    assert open_names(study) == ["src0_v0.png", "src0_v1.png", "src1_v0.png", "src1_v1.png"]
    client.force_login(coordinator)
    url = reverse("annotation:reviews", args=[study.pk])
    assert shown(client.get(url).content.decode()) == open_names(study)
    assert shown(client.get(url, {"min_spread": "3.5"}).content.decode()) == ["src0_v0.png", "src0_v1.png"]
    assert shown(client.get(url, {"source": "source1"}).content.decode()) == ["src1_v0.png", "src1_v1.png"]
    assert users[0].username not in client.get(url).content.decode(), "names hidden: no rater filter"
    html = client.get(url, {"rater": users[0].username, "search": "v1", "names": "1"}).content.decode()
    assert shown(html) == ["src0_v1.png", "src1_v1.png"]
    assert f'<option value="{users[0].username}" selected>' in html
    html = client.get(url, {"min_spread": "9"}).content.decode()
    assert shown(html) == [] and "No image waiting for review matches these filters." in html
    assert "Votes span at least" in client.get(url, {"min_spread": "-1"}).content.decode()
    assert client.get(url, {"min_spread": "-1"}).status_code == 200
    html = client.get(url).content.decode()
    assert LONG_REASON.strip() in html, "the reason is shown in full"


def test_one_decision_on_every_ticked_image(client, coordinator, flagged):
    study, users = flagged
    client.force_login(coordinator)
    reviews = dict(StimulusReview.objects.filter(study=study, status="open").values_list("stimulus__name", "pk"))
    bulk = reverse("annotation:reviews-bulk", args=[study.pk])
    response = client.post(bulk, {"review": [reviews["src0_v0.png"], reviews["src0_v1.png"]], "action": "accept",
                                  "query": "source=source0"}, follow=True)
    assert response.redirect_chain[-1][0].endswith("?source=source0")
    assert "2 images accepted." in response.content.decode()
    assert open_names(study) == ["src1_v0.png", "src1_v1.png"]
    assert Rating.objects.filter(stimulus__name__startswith="src0", verified=True).count() == 6
    response = client.post(bulk, {"review": [reviews["src1_v0.png"], reviews["src1_v1.png"]], "action": "relabel"},
                           follow=True)
    assert "2 images sent back to their deviating annotators." in response.content.decode()
    assert RatingTask.objects.filter(study=study, kind="relabel", annotator=users[2]).count() == 2
    assert open_names(study) == []


def test_a_bulk_decision_is_all_or_nothing_and_scoped(client, coordinator, flagged, make_user):
    study, users = flagged
    client.force_login(coordinator)
    reviews = dict(StimulusReview.objects.filter(study=study, status="open").values_list("stimulus__name", "pk"))
    bulk = reverse("annotation:reviews-bulk", args=[study.pk])
    client.post(bulk, {"review": [reviews["src0_v0.png"]], "action": "accept"})
    response = client.post(bulk, {"review": [reviews["src0_v0.png"], reviews["src0_v1.png"]], "action": "accept"},
                           follow=True)
    assert "Nothing was decided" in response.content.decode() and "decided already" in response.content.decode()
    assert "src0_v1.png" in open_names(study)
    assert "Tick the images" in client.post(bulk, {"action": "accept"}, follow=True).content.decode()
    client.force_login(users[0])
    assert client.post(bulk, {"review": [reviews["src0_v1.png"]], "action": "accept"}).status_code == 404
    assert "src0_v1.png" in open_names(study)
