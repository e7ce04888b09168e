"""The rating page's Guideline button and G key open the guideline and its illustrated examples over the page;
closing it leaves the vote being made as it was (issue 17, point 2)."""
import pytest

from studies.models import Rating
from tests.browser.conftest import screenshot
from tests.browser.test_annotation_session import rate_page, wait_ready
from tests.browser.test_rating_page import rating_study

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CAPTION = "Slight noise in the sky: deduct half a point for noise."


def checked(page, name: str) -> str | None:
    return page.evaluate(f"(document.querySelector('input[name=\"{name}\"]:checked') || {{}}).value || null")


def test_the_guideline_opens_over_the_vote_and_leaves_it_as_it_was(page_for, coordinator, make_user, tmp_path):
    study, user = rating_study(coordinator, make_user, tmp_path, images=2,
                               examples=[{"stimulus": "src1_v0.png", "caption": CAPTION}])
    page = page_for(user, viewport=(1024, 700))
    rate_page(page, study)
    wait_ready(page)
    page.keyboard.press("n")  # noise: slight
    page.keyboard.press("3")
    page.fill("#reason", "the noise covers the whole sky")
    page.click("#stage")  # leave the reason field, so that G is a key of the page
    assert not page.is_visible("#guideline")
    page.keyboard.press("g")
    page.wait_for_selector("#guideline", state="visible")
    assert CAPTION in page.inner_text("#guideline")
    page.wait_for_function("() => [...document.querySelectorAll('#guideline .example img')]"
                           ".every((img) => img.complete && img.naturalWidth > 0)")
    screenshot(page, "rating-guideline-dialog")
    page.keyboard.press("5")  # keys while the guideline is open change nothing underneath
    page.keyboard.press("Escape")
    page.wait_for_selector("#guideline", state="hidden")
    assert (checked(page, "score"), checked(page, "aspect-noise")) == ("3", "slight")
    assert page.input_value("#reason") == "the noise covers the whole sky"
    page.click("#guideline-open")
    page.wait_for_selector("#guideline", state="visible")
    page.click("#guideline-close")
    page.wait_for_selector("#guideline", state="hidden")
    assert checked(page, "score") == "3" and Rating.objects.count() == 0
    page.click("#submit")
    page.wait_for_function("() => window.moslabRating.queueLength() === 0")
    vote = Rating.objects.get()
    assert (vote.score, vote.deductions.get("noise"), vote.reason) == (3, "slight", "the noise covers the whole sky")
