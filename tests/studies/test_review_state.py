"""Stimuli whose votes wait for the cross-check review are counted as such on the study page and in the MOS
warnings, with a link to the review queue, instead of passing for complete or for unrated."""
import re

import pytest
from django.urls import reverse

from studies import services
from studies.models import Membership, Rating, Stimulus

pytestmark = pytest.mark.django_db


@pytest.fixture
def half_reviewed(coordinator, make_user):
    """6 stimuli, 3 raters: 3 verified, 2 complete but waiting for review (unverified), 1 never rated."""
    study = services.study_create(name="Waiting", slug="waiting", created_by=coordinator, raters_per_stimulus=3)
    services.membership_add(study=study, user=coordinator, role=Membership.Role.COORDINATOR)
    stimuli = Stimulus.objects.bulk_create([Stimulus(study=study, name=f"img{index}.png") for index in range(6)])
    raters = [make_user(f"waiting-rater{index}") for index in range(3)]
    Rating.objects.bulk_create([
        Rating(study=study, stimulus=stimulus, rater=rater, score=float(1 + (index + column) % 5), verified=index < 3)
        for index, stimulus in enumerate(stimuli[:5]) for column, rater in enumerate(raters)
    ])
    return study


def test_the_study_page_counts_the_stimuli_awaiting_review_with_a_link(client, coordinator, half_reviewed):
    client.force_login(coordinator)
    html = client.get(reverse("studies:detail", args=[half_reviewed.pk])).content.decode()
    assert re.search(r"<dt>Complete stimuli</dt><dd>5</dd>", html)
    assert re.search(r'<dt>Awaiting review</dt><dd id="awaiting-review">2</dd>', html)
    assert "2 complete stimuli wait for the cross-check review" in html
    assert reverse("annotation:reviews", args=[half_reviewed.pk]) in html


def test_mos_tells_stimuli_awaiting_review_from_unrated_ones(client, coordinator, half_reviewed):
    computation = services.mos_computation_run(
        computation_id=services.mos_computation_start(study=half_reviewed, by=coordinator).pk)
    warnings = {warning["code"]: warning for warning in computation.warnings}
    assert warnings["stimuli_awaiting_review"]["stimuli"] == ["img3.png", "img4.png"]
    assert "6 votes waiting for the cross-check review" in warnings["stimuli_awaiting_review"]["message"]
    assert warnings["unrated_stimulus"]["stimuli"] == ["img5.png"]
    assert warnings["unrated_stimulus"]["message"].startswith("1 stimuli have no votes")
    client.force_login(coordinator)
    html = client.get(reverse("studies:mos-detail", args=[half_reviewed.pk, computation.pk])).content.decode()
    waiting = re.search(r'<li id="warning-stimuli_awaiting_review">(.*?)</li>', html, re.S).group(1)
    assert reverse("annotation:reviews", args=[half_reviewed.pk]) in waiting
