"""What people see: the annotator rates by keyboard, images drawn 1:1, the coordinator gets MOS and CSV."""
import uuid

import pytest

from annotation import assignment_services, voting_services
from annotation.models import RatingTask
from moslab_science.demo import build_demo_images
from studies import services
from studies.models import Membership, MosComputation, Rating, Study
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_like_study(coordinator, make_user, tmp_path):
    folder = tmp_path / "photos"
    build_demo_images(folder, sources=["coffee"], levels=(3,))
    for extra in folder.glob("coffee__*"):
        if "reference" not in extra.name and "gamma" not in extra.name and "bicubic" not in extra.name:
            extra.unlink()
    (folder / "manifest.csv").unlink()
    study = services.study_create(name="Browser study", slug="browser", created_by=coordinator, raters_per_stimulus=1)
    services.stimuli_import(study=study, source=folder)
    Study.objects.filter(pk=study.pk).update(status=Study.Status.OPEN)
    annotator = make_user("rater")
    services.membership_add(study=study, user=annotator, role=Membership.Role.ANNOTATOR)
    assignment_services.assignment_create(study=study, seed=0)
    return study, annotator


@pytest.mark.parametrize("ratio", [1, 2])
def test_image_is_drawn_one_image_pixel_per_device_pixel(page_for, demo_like_study, ratio):
    study, annotator = demo_like_study
    page = page_for(annotator, device_scale_factor=ratio)
    page.goto(page.url + f"studies/{study.pk}/rate/")
    page.wait_for_function("document.getElementById('stimulus').complete")
    drawn = page.evaluate(
        """() => { const img = document.getElementById('stimulus'); const box = img.getBoundingClientRect();
        return {natural: [img.naturalWidth, img.naturalHeight], device: [box.width * devicePixelRatio,
        box.height * devicePixelRatio], ratio: devicePixelRatio}; }"""
    )
    assert drawn["ratio"] == ratio
    assert drawn["natural"] == [480, 320]
    assert drawn["device"] == [480, 320]
    assert page.is_hidden("#fit-warning")


def test_annotator_rates_with_the_keyboard(page_for, demo_like_study):
    study, annotator = demo_like_study
    page = page_for(annotator)
    screenshot(page, "home-annotator")
    page.click("text=Rate images")
    page.wait_for_selector("#stimulus")
    screenshot(page, "rating-page")
    for number, key in enumerate(["4", "2", "5"]):
        page.wait_for_function("window.moslabRating.ready()")
        page.keyboard.press(key)
        if page.is_visible("#reason-row"):  # the score differs from the guideline's: one line of reason
            page.fill("#reason", "thin-slice vote")
        page.keyboard.press("Enter")
        if number < 2:
            page.wait_for_function("window.moslabRating.queueLength() === 0")
    page.wait_for_selector("text=You have rated all 3 images")
    votes = Rating.objects.filter(study=study, rater=annotator).order_by("created_at").values_list("score", flat=True)
    assert list(votes) == [4, 2, 5]
    assert all(r.response_time_ms is not None for r in Rating.objects.filter(rater=annotator))
    assert not RatingTask.objects.filter(study=study, status=RatingTask.Status.PENDING).exists()


def test_window_too_small_asks_for_more_room(page_for, demo_like_study):
    study, annotator = demo_like_study
    page = page_for(annotator, viewport=(400, 300))
    page.goto(page.url + f"studies/{study.pk}/rate/")
    page.wait_for_selector("#stimulus")
    assert page.is_visible("#fit-warning")
    width = page.evaluate("document.getElementById('stimulus').getBoundingClientRect().width")
    assert width == 480, "the image is never scaled to fit"


def test_coordinator_computes_mos_and_downloads_csv(page_for, demo_like_study, coordinator, celery_worker_process):
    study, annotator = demo_like_study
    for task in RatingTask.objects.filter(study=study):
        voting_services.rating_submit(task=task, user=annotator, score=3, client_id=uuid.uuid4())
    page = page_for(coordinator)
    page.click("text=Study page")
    screenshot(page, "study-page")
    page.select_option("select[name=method]", "mean")
    page.click("text=Compute MOS")
    page.wait_for_selector("text=Download CSV", timeout=90_000)
    screenshot(page, "mos-results")
    assert MosComputation.objects.get(study=study).status == MosComputation.Status.SUCCEEDED
    with page.expect_download() as download_info:
        page.click("text=Download CSV")
    content = download_info.value.path().read_text()
    assert content.splitlines()[0] == "stimulus,sha256,source_content,mos,std,ci95,n"
    assert len(content.splitlines()) == 4
