"""Rating a video in headless Chromium: pixel-exact, played through once without seeking before the scores open,
three dimension scores in one submission, and the text prompt shown above the clip (and above an image)."""
import pytest

from annotation import enrolment_services
from annotation.models import RatingTask
from studies.models import Rating, Stimulus
from tests.annotation.helpers import protocol_study, video_study
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DIMENSIONS = [{"name": "technical", "label": "Technical quality"}, {"name": "aesthetic", "label": "Aesthetic quality"},
              {"name": "alignment", "label": "Prompt alignment"}]
PLAYBACK = "window.moslabRating.playback()"


def test_a_clip_plays_through_once_before_three_dimension_scores_are_stored(page_for, live_server, coordinator,
                                                                            make_user, tmp_path):
    study, (user,) = video_study(  # 24 frames at 8 fps: a 3 s VP9 WebM, imported like any stimulus
        coordinator=coordinator, make_user=make_user, folder=tmp_path / "clips", frames=24, fps=8, size=(320, 240),
        raters_per_stimulus=1, config={"dimensions": DIMENSIONS, "show_prompt": True, "replay": True},
    )
    clip = Stimulus.objects.get(study=study)
    assert clip.media_type == "video" and clip.duration_seconds == pytest.approx(3.0, abs=0.2)
    page = page_for(user)
    page.goto(f"{live_server.url}/studies/{study.pk}/rate/")
    page.wait_for_function("window.moslabRating && window.moslabRating.ready()")
    assert page.is_visible("#prompt") and page.inner_text("#prompt-text") == clip.prompt
    drawn = page.evaluate("""() => { const v = document.getElementById('stimulus-video');
        const box = v.getBoundingClientRect(); return {natural: [v.videoWidth, v.videoHeight], controls: v.controls,
        device: [box.width * devicePixelRatio, box.height * devicePixelRatio]}; }""")
    assert drawn["natural"] == [320, 240] and drawn["device"] == pytest.approx([320, 240], abs=0.01)
    assert drawn["controls"] is False, "no controls during the first play"

    assert page.is_disabled("input[name=score-technical][value='3']") and page.is_disabled("#submit")
    page.keyboard.press("3")
    page.keyboard.press("Enter")  # shortcuts do nothing before the play-through
    assert page.evaluate("window.moslabRating.queueLength()") == 0
    assert not page.is_checked("input[name=score-technical][value='3']")

    page.click("#play")
    page.wait_for_function("document.getElementById('stimulus-video').currentTime > 0.4")
    page.evaluate("document.getElementById('stimulus-video').currentTime = 2.8")  # try to skip to the end
    page.wait_for_function(f"{PLAYBACK}.seeks_blocked >= 1")
    page.wait_for_timeout(150)
    assert page.evaluate("document.getElementById('stimulus-video').currentTime") < 1.6, "the seek was undone"
    assert page.evaluate(f"{PLAYBACK}.locked") and page.is_disabled("input[name=score-aesthetic][value='3']")

    page.wait_for_function(f"{PLAYBACK}.ended", timeout=20_000)
    assert page.is_enabled("input[name=score-aesthetic][value='3']")
    assert page.is_disabled("#submit"), "open, but nothing to submit before every dimension has a score"
    assert page.is_visible("#replay"), "the protocol allows a replay after the first full play"
    page.click("#replay")
    page.wait_for_function(f"{PLAYBACK}.replays === 1 && document.getElementById('stimulus-video').ended",
                           timeout=20_000)
    assert page.is_enabled("input[name=score-technical][value='5']"), "the scores stay open during and after a replay"
    page.keyboard.press("5")  # technical (nothing is chosen until the rater acts), then aesthetic, then alignment
    page.keyboard.press("3")
    page.keyboard.press("4")
    assert page.is_checked("input[name=score-alignment][value='4']") and page.is_enabled("#submit")
    screenshot(page, "rate-video")
    page.keyboard.press("Enter")
    page.wait_for_selector("#completion-code")

    votes = {r.dimension: r for r in Rating.objects.filter(rater=user, stimulus=clip)}
    assert {name: r.score for name, r in votes.items()} == {"technical": 5, "aesthetic": 3, "alignment": 4}
    assert len({r.client_id for r in votes.values()}) == 1, "one submission"
    display = votes["technical"].display
    assert display["played_through"] is True and display["seeks_blocked"] >= 1 and display["replays"] == 1
    assert display["played_seconds"] >= 1.8 * clip.duration_seconds, "the first play and the replay"
    assert display["rendered_device_px"] == [320, 240] and display["natural_px"] == [320, 240] and display["fits"]
    assert RatingTask.objects.get(annotator=user).status == RatingTask.Status.DONE


def test_an_image_with_its_prompt_and_slider_dimensions_needs_every_score(page_for, live_server, coordinator,
                                                                          make_user, tmp_path):
    study, (user,) = protocol_study(
        coordinator=coordinator, make_user=make_user, folder=tmp_path / "img", sources=1, per_source=1, annotators=1,
        scale="slider100", raters_per_stimulus=1, config={"dimensions": DIMENSIONS[::2], "show_prompt": True},
    )
    Stimulus.objects.filter(study=study).update(prompt="a lighthouse on a cliff, oil painting")
    enrolment_services.enrolment_accept_instructions(
        enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
    page = page_for(user)
    page.goto(f"{live_server.url}/studies/{study.pk}/rate/")
    page.wait_for_function("window.moslabRating && window.moslabRating.ready()")
    assert page.inner_text("#prompt-text") == "a lighthouse on a cliff, oil painting"
    assert page.is_enabled("#slider-technical"), "an image is rated at once"
    assert page.inner_text("#slider-value-technical") == "—" and page.inner_text("#slider-value-alignment") == "—"
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Give a score for Technical quality")
    assert page.evaluate("window.moslabRating.queueLength()") == 0, "nothing sent without every dimension"
    page.evaluate("""() => { const slider = document.getElementById('slider-technical'); slider.value = 100;
        slider.dispatchEvent(new Event('input', {bubbles: true})); }""")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Give a score for Prompt alignment")
    page.evaluate("""() => { const slider = document.getElementById('slider-alignment'); slider.value = 35;
        slider.dispatchEvent(new Event('input', {bubbles: true})); }""")
    assert page.inner_text("#slider-value-alignment") == "35"
    page.keyboard.press("Enter")
    page.wait_for_selector("#completion-code")
    votes = dict(Rating.objects.filter(rater=user).values_list("dimension", "score"))
    assert votes == {"technical": 100, "alignment": 35}
