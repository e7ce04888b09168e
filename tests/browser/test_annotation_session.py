"""A whole annotator session in headless Chromium, pixel-exact drawing, and no vote lost when the server is cut off."""
import uuid

import pytest

from annotation import enrolment_services, session_services, voting_services
from annotation.models import Enrolment, RatingTask, StimulusReview
from studies.models import Rating
from tests.annotation.helpers import protocol_study
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rate_page(page, study):
    page.goto(page.url.split("/studies")[0].rstrip("/") + f"/studies/{study.pk}/rate/")


def wait_ready(page):
    page.wait_for_function("window.moslabRating && window.moslabRating.ready()")


def vote_by_keys(page, keys, *, reason=None):
    wait_ready(page)
    for key in keys:
        page.keyboard.press(key)
    if reason:
        page.fill("#reason", reason)
    page.keyboard.press("Enter")


def test_annotator_session_training_qualification_rating_break_relabel(page_for, coordinator, make_user, tmp_path):
    study, (browser_user, other) = protocol_study(
        coordinator=coordinator, make_user=make_user, folder=tmp_path / "img", sources=2, per_source=2,
        annotators=2, training=1, qualification=1, size=(200, 150),
        raters_per_stimulus=2, config={"block_size": 2, "break_seconds": 2, "relabel_rounds": 1},
    )
    enrolment_services.enrolment_accept_instructions(
        enrolment=enrolment_services.enrolment_get_or_start(study=study, user=other))
    for _ in range(2):  # the other annotator passes training and qualification, then votes 1 everywhere
        task = RatingTask.objects.filter(annotator=other, status="pending").order_by("priority", "position")[0]
        voting_services.rating_submit(task=task, user=other, score=4, client_id=uuid.uuid4())
    while (state := session_services.session_next(study=study, user=other)[1])["tasks"]:
        Enrolment.objects.filter(user=other).update(break_until=None)
        voting_services.rating_submit(task=RatingTask.objects.get(pk=state["tasks"][0]["id"]), user=other, score=1,
                                      client_id=uuid.uuid4())

    page = page_for(browser_user)
    rate_page(page, study)
    page.click("#start")
    vote_by_keys(page, ["n", "n", "4"])  # training: noise moderate -> 4, chosen, then Enter
    page.wait_for_selector("#reference-score")
    assert page.inner_text("#reference-score") == "4"
    page.keyboard.press("Enter")
    vote_by_keys(page, ["n", "n", "4"])  # qualification: 4, on the reference
    wait_ready(page)
    assert Enrolment.objects.get(user=browser_user).phase == "rating"
    vote_by_keys(page, ["r", "r", "4"])  # resolution moderate: 5 - 1.5 = 3.5; 4 is within half a point
    wait_ready(page)
    page.keyboard.press("2")
    assert page.is_visible("#reason-row"), "a score against the ticked deductions asks for a reason"
    screenshot(page, "annotation-rating-page")
    page.fill("#reason", "strong blocking in the face")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Time for a break")
    vote_by_keys(page, ["5"])  # after the break: 5
    vote_by_keys(page, ["5"])
    page.wait_for_selector("#completion-code")

    mine = list(Rating.objects.filter(rater=browser_user).order_by("created_at"))
    assert [(r.purpose, r.score) for r in mine] == [
        ("training", 4), ("qualification", 4), ("rating", 4), ("rating", 2), ("rating", 5), ("rating", 5)]
    assert mine[2].deductions["resolution"] == "moderate" and mine[2].suggested_score == 3.5 and not mine[2].reason
    assert mine[3].reason == "strong blocking in the face"
    assert all(r.display["device_pixel_ratio"] == 1 and r.display["user_agent"] for r in mine)
    assert all(r.response_time_ms > 0 for r in mine)
    assert mine[4].created_at - mine[3].created_at >= __import__("datetime").timedelta(seconds=2), "break enforced"

    flagged = StimulusReview.objects.filter(study=study, status="open")
    assert flagged.count() == 3, "4 vs 1 and 5 vs 1 (twice) differ by 2 or more"
    coordinator_page = page_for(coordinator)
    coordinator_page.goto(coordinator_page.url + f"studies/{study.pk}/reviews/")
    coordinator_page.wait_for_selector(".review img")
    coordinator_page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    screenshot(coordinator_page, "annotation-review-queue")
    target = flagged.order_by("stimulus__name").first()
    coordinator_page.click(f"#review-{target.pk} >> text=Ask the deviating annotators to relabel")
    coordinator_page.wait_for_selector("text=decision recorded")

    rate_page(page, study)
    wait_ready(page)
    assert page.is_visible("#relabel-note")
    vote_by_keys(page, ["d", "4"])  # distortion slight: 5 - 0.75 = 4.25
    # the last task: once its vote is sent the page goes to the done page, which has no rating script
    page.wait_for_function("!window.moslabRating || window.moslabRating.queueLength() === 0")
    relabel = Rating.objects.filter(rater=browser_user, round=1).get()
    assert relabel.stimulus_id == target.stimulus_id and relabel.supersedes.rater == browser_user
    assert Rating.objects.filter(rater=browser_user, purpose="rating").count() == 5, "the old vote is kept"


def test_no_vote_lost_or_doubled_when_the_server_is_cut_off(page_for, coordinator, make_user, tmp_path):
    study, (user,) = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "img",
                                    sources=3, per_source=1, annotators=1, raters_per_stimulus=1)
    enrolment_services.enrolment_accept_instructions(
        enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
    page = page_for(user)
    rate_page(page, study)
    calls = []

    def cut_off(route):
        calls.append(route.request.post_data_json["client_id"])
        if len(calls) == 1:
            route.fetch()  # the server stores the first vote, but its answer never arrives
        route.abort()

    page.route("**/api/annotation/studies/*/ratings/", cut_off)
    vote_by_keys(page, ["n", "n", "4"])
    page.wait_for_selector("text=kept on this device")
    vote_by_keys(page, ["b", "b", "4"])
    assert page.evaluate("window.moslabRating.queueLength()") == 2
    assert Rating.objects.count() == 1, "the first reached the server, the second is queued in the page"
    page.unroute("**/api/annotation/studies/*/ratings/")
    page.wait_for_function("window.moslabRating.queueLength() === 0", timeout=20_000)
    page.wait_for_selector("text=All votes saved")
    votes = list(Rating.objects.order_by("created_at").values_list("client_id", "score", "deductions"))
    assert len(votes) == 2 and str(votes[0][0]) == calls[0], "the retry with the same id stored nothing new"
    assert [score for _, score, _ in votes] == [4, 4]
    assert votes[1][2]["brightness"] == "moderate"
    assert RatingTask.objects.filter(annotator=user, status="done").count() == 2


@pytest.mark.parametrize("ratio", [1, 2])
def test_rating_page_draws_one_image_pixel_per_device_pixel(page_for, coordinator, make_user, tmp_path, ratio):
    study, (user,) = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "img",
                                    sources=1, per_source=1, annotators=1, size=(301, 203),
                                    raters_per_stimulus=1)
    enrolment_services.enrolment_accept_instructions(
        enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
    page = page_for(user, device_scale_factor=ratio)
    rate_page(page, study)
    wait_ready(page)
    drawn = page.evaluate("""() => { const img = document.getElementById('stimulus');
        const box = img.getBoundingClientRect(); return {natural: [img.naturalWidth, img.naturalHeight],
        device: [box.width * devicePixelRatio, box.height * devicePixelRatio], ratio: devicePixelRatio}; }""")
    assert drawn["ratio"] == ratio and drawn["natural"] == [301, 203]
    assert drawn["device"] == pytest.approx([301, 203], abs=0.01)
    vote_by_keys(page, ["5"])
    page.wait_for_selector("#completion-code")
    display = Rating.objects.get(rater=user).display
    assert display["rendered_device_px"] == [301, 203] and display["device_pixel_ratio"] == ratio and display["fits"]
