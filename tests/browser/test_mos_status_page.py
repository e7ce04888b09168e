"""The page of a queued MOS computation shows its results by itself, soon after the worker stored them."""
import time

import pytest
from playwright.sync_api import expect

from studies import services
from studies.models import Membership, MosComputation, Rating, Stimulus
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_results_appear_without_a_reload(page_for, coordinator, make_user, live_server):
    study = services.study_create(name="Waiting", slug="waiting", created_by=coordinator)
    Stimulus.objects.bulk_create([Stimulus(study=study, name=f"w{index}.png") for index in range(4)])
    raters = [make_user(f"waiting-rater{index}") for index in range(3)]
    for rater in raters:
        services.membership_add(study=study, user=rater, role=Membership.Role.ANNOTATOR)
    Rating.objects.bulk_create([Rating(study=study, stimulus=stimulus, rater=rater, score=3.0, verified=True)
                                for stimulus in study.stimuli.all() for rater in raters])
    computation = MosComputation.objects.create(study=study, requested_by=coordinator)  # queued, no message sent
    page = page_for(coordinator, enforce_csp=True)  # the status script runs under the site's policy
    page.goto(f"{live_server.url}/studies/{study.pk}/mos/{computation.pk}/")
    expect(page.locator("#computation-status")).to_have_text("Queued")
    services.mos_computation_run(computation_id=computation.pk)  # what the worker does
    stored = time.monotonic()
    expect(page.locator("#computation-status")).to_have_text("Succeeded", timeout=1500)
    shown = time.monotonic() - stored
    assert page.locator("#mos-results tbody tr").count() == 4
    assert shown < 1.5, f"the results showed {shown:.2f} s after they were stored"
    screenshot(page, "mos-status-succeeded")
