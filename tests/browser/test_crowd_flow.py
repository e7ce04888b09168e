"""The crowd flow in Chromium: a Prolific-style link, the screen check, the whole rating flow, the completion
code and the redirect, then the coordinator's code list; and the refusal of a screen too small for the images."""
import re

import pytest

from annotation.crowd import services
from annotation.crowd.models import CrowdParticipant
from studies import services as study_services
from studies.models import Rating
from tests.annotation.helpers import protocol_study
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"
TABLE_FITS = "() => { const box = document.querySelector('.table-scroll'); return box.scrollWidth <= box.clientWidth; }"
IDS = "PROLIFIC_PID=5f9a8c7e&STUDY_ID=study42&SESSION_ID=sess7"


def crowd_study(coordinator, make_user, folder, *, size, completion_url=""):
    study, _ = protocol_study(coordinator=coordinator, make_user=make_user, folder=folder, sources=2, per_source=2,
                              annotators=0, qualification=1, gold=1, size=size, raters_per_stimulus=1,
                              config={"gold_every": 2, "block_size": 10, "break_seconds": 0})
    link = services.crowd_link_update(study=study, enabled=True, parameters="PROLIFIC_PID, STUDY_ID, SESSION_ID",
                                      completion_url=completion_url, participant_cap=50)
    return study, link


def test_crowd_participant_from_link_to_completion_code_and_redirect(browser, live_server, page_for, coordinator,
                                                                     make_user, tmp_path):
    study, link = crowd_study(coordinator, make_user, tmp_path / "img", size=(200, 150),
                              completion_url=f"{live_server.url}/?cc={{code}}")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/crowd/{link.token}/?{IDS}")
    page.wait_for_selector("#environment-check")
    page.wait_for_function("() => document.getElementById('found-screen').textContent.includes('px')")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(page, "crowd-environment-check")
    page.click("#environment-submit")
    page.click("#start")  # the instructions, then one qualification image and the study's images with a gold check
    while True:
        page.wait_for_selector("#completion-code, #stimulus:visible")
        if page.is_visible("#completion-code"):
            break
        page.wait_for_function("window.moslabRating && window.moslabRating.ready()")
        for key in ("n", "n", "4", "Enter"):  # noise moderate: the guideline's 4, within the references' tolerance
            page.keyboard.press(key)
        page.wait_for_function("() => !window.moslabRating || window.moslabRating.ready() || "
                               "document.getElementById('completion-code')")
    code = page.inner_text("#completion-code")
    assert re.fullmatch(r"[0-9A-F]{8}", code)
    screenshot(page, "crowd-done")
    page.wait_for_url(f"{live_server.url}/?cc={code}", timeout=15_000)  # back to the "platform" with the code
    context.close()

    participant = CrowdParticipant.objects.get(study=study)
    assert participant.platform_ids == {"PROLIFIC_PID": "5f9a8c7e", "STUDY_ID": "study42", "SESSION_ID": "sess7"}
    assert participant.environment_ok and participant.environment["window"] == [1280, 900]
    assert "Chrome" in participant.environment["user_agent"]
    purposes = sorted(Rating.objects.filter(rater=participant.user).values_list("purpose", flat=True))
    assert purposes == ["gold", "qualification"] + ["rating"] * 4, "each image voted once, none twice"
    computation = study_services.mos_computation_start(study=study, by=coordinator, method="bt500")
    study_services.mos_computation_run(computation_id=computation.pk)

    coordinator_page = page_for(coordinator, viewport=(1440, 900))
    coordinator_page.goto(f"{live_server.url}/studies/{study.pk}/")
    coordinator_page.click("text=Crowd participants")
    coordinator_page.fill("#code-input", code)
    coordinator_page.click("#verify-code button")
    assert f"{code} belongs to 5f9a8c7e (Done)" in coordinator_page.inner_text("#code-owner")
    row = coordinator_page.inner_text(f"#participant-{participant.pk}")
    assert "5f9a8c7e" in row and "STUDY_ID study42" in row and code in row
    cells = coordinator_page.locator(f"#participant-{participant.pk} td").all_inner_texts()
    assert cells[1] == "Done" and cells[5] == "1.00 (1)", "gold accuracy: the gold image voted on its reference"
    assert cells[7] == "1.00" and cells[8] == "kept", "qualification passed; BT.500 kept the participant"
    assert coordinator_page.evaluate(NO_SIDEWAYS_SCROLL)
    assert coordinator_page.evaluate(TABLE_FITS), "at 1440 px every column of the code list is inside its card"
    screenshot(coordinator_page, "crowd-codes")
    coordinator_page.click(f"#participant-{participant.pk} button[value=approved]")
    coordinator_page.wait_for_selector("text=marked approved")
    assert CrowdParticipant.objects.get(pk=participant.pk).decision == "approved"
    for width in (1024, 390):
        coordinator_page.set_viewport_size({"width": width, "height": 800})
        assert coordinator_page.evaluate(NO_SIDEWAYS_SCROLL), f"the code list scrolls sideways at {width} px"


def test_a_screen_too_small_for_the_images_is_refused(browser, live_server, coordinator, make_user, tmp_path):
    study, link = crowd_study(coordinator, make_user, tmp_path / "img", size=(640, 480))
    context = browser.new_context(viewport={"width": 390, "height": 700}, screen={"width": 390, "height": 844},
                                  bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/crowd/{link.token}/?{IDS}")
    page.wait_for_function("() => document.getElementById('found-screen').textContent.includes('px')")
    page.click("#environment-submit")
    refusal = page.inner_text("#environment-problems")
    assert "Your screen shows 390 x 844 pixels" in refusal and "640 x 480" in refusal
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(page, "crowd-screen-too-small")
    page.goto(f"{live_server.url}/studies/{study.pk}/rate/")
    assert page.is_visible("#environment-check"), "the rating page sends a refused participant back to the check"
    participant = CrowdParticipant.objects.get(study=study)
    assert not participant.environment_ok and participant.environment["screen_device_px"] == [390, 844]
    context.close()
