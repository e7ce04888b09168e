"""The review queue in Chromium: filter, untick, decide the rest at once; votes and reasons readable in full."""
import pytest

from annotation.models import StimulusReview
from tests.annotation.test_review_bulk import LONG_REASON, flagged  # noqa: F401
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_names(study):
    return sorted(StimulusReview.objects.filter(study=study, status="open").values_list("stimulus__name", flat=True))


def test_a_coordinator_filters_and_accepts_the_ticked_images(page_for, coordinator, flagged, live_server):  # noqa: F811
    study, _ = flagged
    page = page_for(coordinator, viewport=(1440, 900))
    page.goto(f"{live_server.url}/studies/{study.pk}/reviews/?names=1")
    assert page.inner_text("#matching") == "4"
    reason = page.locator("td.reason-text", has_text="sky banding").first
    assert reason.inner_text().strip() == LONG_REASON.strip()
    assert reason.evaluate("cell => cell.scrollWidth <= cell.clientWidth"), "the reason wraps inside its cell"
    screenshot(page, "review-queue-1440")
    page.fill("input[name=min_spread]", "3.5")
    page.click("#review-filters button[type=submit]")
    page.wait_for_url("**min_spread=3.5**")
    assert page.inner_text("#matching") == "2"
    page.uncheck("#select-all")
    assert page.locator("input.pick:checked").count() == 0
    page.check("#select-all")
    kept = page.locator("input.pick").nth(1)
    kept_name = StimulusReview.objects.get(pk=int(kept.get_attribute("value"))).stimulus.name
    kept.uncheck()
    assert not page.is_checked("#select-all")
    page.click("#bulk-decide button[value=accept]")
    page.wait_for_selector(".messages li")
    assert "1 image accepted." in page.inner_text(".messages")
    assert "min_spread=3.5" in page.url
    assert open_names(study) == sorted([kept_name, "src1_v0.png", "src1_v1.png"]), "the unticked image stays open"
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_server.url}/studies/{study.pk}/reviews/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "review-queue-390")
