"""The rating page protects the data (issue 17, point 3): no score until the rater acts, the exact suggestion and
its reason rule, the minimum viewing time, "image n of N" progress and one end state on every page, banners that
tell a lost network from a server error, and a layout with the controls in view and no sideways scroll."""
import pytest

from annotation import enrolment_services
from studies.models import Rating
from tests.annotation.helpers import protocol_study
from tests.browser.conftest import screenshot
from tests.browser.test_annotation_session import rate_page, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
RATINGS = "**/api/annotation/studies/*/ratings/"


def rating_study(coordinator, make_user, tmp_path, *, images=3, size=(64, 48), **config):
    study, (user,) = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "img",
                                    sources=images, per_source=1, annotators=1, size=size, raters_per_stimulus=1,
                                    config={"break_seconds": 0, **config})
    enrolment_services.enrolment_accept_instructions(
        enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
    return study, user


def test_nothing_is_chosen_until_the_rater_acts_and_the_exact_suggestion_needs_no_reason_within_half_a_point(
        page_for, coordinator, make_user, tmp_path):
    study, user = rating_study(coordinator, make_user, tmp_path, images=1)
    page = page_for(user)
    rate_page(page, study)
    wait_ready(page)
    assert page.evaluate("document.querySelectorAll('input[name=score]:checked').length") == 0
    assert page.is_disabled("#submit")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert page.evaluate("window.moslabRating.queueLength()") == 0 and Rating.objects.count() == 0
    assert "Choose a score first" in page.inner_text("#form-error")
    page.keyboard.press("n")  # noise slight: 5 - 0.5 = 4.5, shown as it is
    assert page.inner_text("#suggested") == "4.5"
    page.keyboard.press("4")
    assert not page.is_visible("#reason-row"), "4 is within half a point of 4.5"
    assert page.is_enabled("#submit")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Thank you")
    vote = Rating.objects.get()
    assert (vote.score, vote.suggested_score, vote.reason) == (4, 4.5, "")


def test_scoring_opens_after_the_minimum_viewing_time(page_for, coordinator, make_user, tmp_path):
    study, user = rating_study(coordinator, make_user, tmp_path, images=1, min_viewing_seconds=1.5)
    page = page_for(user)
    rate_page(page, study)
    wait_ready(page)
    assert page.is_visible("#viewing-note") and page.is_disabled("#rating-inputs input[name=score]")
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    assert page.evaluate("document.querySelectorAll('input[name=score]:checked').length") == 0
    page.wait_for_function("!window.moslabRating.locked()", timeout=5_000)
    assert not page.is_visible("#viewing-note")
    page.keyboard.press("5")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Thank you")
    assert Rating.objects.get().response_time_ms >= 1500


def test_progress_counts_your_images_and_the_block_and_the_end_state_is_the_same_everywhere(
        page_for, coordinator, make_user, tmp_path):
    study, user = rating_study(coordinator, make_user, tmp_path, images=3, block_size=2)
    page = page_for(user)
    assert page.is_visible("text=Rate images")
    rate_page(page, study)
    wait_ready(page)
    assert page.inner_text("#your-label") == "Image 1 of 3"
    assert page.inner_text("#block-label") == "Block: 1 of 2"
    page.keyboard.press("5")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('your-label').textContent === 'Image 2 of 3'")
    assert page.inner_text("#block-label") == "Block: 2 of 2"
    assert page.evaluate("document.getElementById('your-progress').value") == 1
    wait_ready(page)
    page.keyboard.press("5")
    page.keyboard.press("Enter")
    page.wait_for_function("window.moslabRating.queueLength() === 0")
    wait_ready(page)
    assert page.inner_text("#your-label") == "Image 3 of 3" and page.inner_text("#block-label") == "Block: 1 of 2"
    page.keyboard.press("5")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Thank you")
    page.click("text=Back to your studies")
    assert page.is_visible(f"#rated-all-{study.pk}") and not page.is_visible("text=Rate images")


def test_banners_tell_a_lost_network_from_a_server_error(page_for, coordinator, make_user, tmp_path):
    study, user = rating_study(coordinator, make_user, tmp_path, images=3)
    page = page_for(user)
    rate_page(page, study)
    wait_ready(page)
    page.route(RATINGS, lambda route: route.abort("internetdisconnected"))
    page.keyboard.press("5")
    page.keyboard.press("Enter")
    page.wait_for_selector("#sync-banner.network")
    assert "No connection to the server: check your network" in page.inner_text("#sync-banner")
    page.unroute(RATINGS)
    page.route(RATINGS, lambda route: route.fulfill(status=503, body="down for maintenance"))
    page.wait_for_selector("#sync-banner.server", timeout=10_000)
    assert "The server had an error (HTTP 503); this is not your network" in page.inner_text("#sync-banner")
    assert "Not yet saved: 1 vote, kept on this device" in page.inner_text("#sync-banner")
    page.unroute(RATINGS)
    page.wait_for_function("window.moslabRating.queueLength() === 0", timeout=10_000)
    page.wait_for_selector("#sync-banner", state="hidden")
    assert Rating.objects.count() == 1


@pytest.mark.parametrize("width, height", [(1440, 900), (1024, 700), (390, 844)])
def test_the_controls_are_in_view_and_nothing_scrolls_sideways(page_for, coordinator, make_user, tmp_path,
                                                               width, height):
    study, user = rating_study(coordinator, make_user, tmp_path, images=2, size=(512, 384))
    page = page_for(user, viewport=(width, height))
    rate_page(page, study)
    wait_ready(page)
    page.keyboard.press("n")
    page.keyboard.press("3")
    screenshot(page, f"rating-page-{width}")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), "no horizontal scroll"
    in_view = """(selector) => { const box = document.querySelector(selector).getBoundingClientRect();
        return box.width > 0 && box.top >= 0 && box.bottom <= innerHeight && box.right <= innerWidth; }"""
    assert page.evaluate(in_view, "#your-progress") and page.evaluate(in_view, "#block-progress")
    if (width, height) != (390, 844):  # on a phone the controls follow the image
        for selector in ("#submit", ".scores", "#checklist"):
            assert page.evaluate(in_view, selector), f"{selector} is visible without scrolling at {width}x{height}"
