"""A non-staff coordinator runs a study from the pages alone (never /admin/): a new study from a template, two
annotators invited by link who sign up in their own browsers, a zip of images uploaded in chunks with a progress
bar (one chunk lost on the way and resumed), gold, training and qualification items, open; the annotators go
through instructions, training, qualification and rating (one disagreeing vote), and the coordinator reviews in
bulk, computes MOS, takes a dataset version and exports and downloads it (issue #17's Done-when)."""
import hashlib
import io
import zipfile

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from annotation.models import Enrolment, QualityItem, RatingTask, StimulusReview
from moslab_science.datasets import read_table
from studies.models import DatasetExport, DatasetVersion, Membership, MosComputation, Rating, Study
from tests.browser.conftest import screenshot
from tests.browser.test_csp import visit, watched
from tests.conftest import write_image

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
IMAGES = [f"photo{index}.png" for index in range(7)]  # photo4, 5 and 6 become the gold, training, qualification items
STUDY_IMAGES = IMAGES[:4]


def images_zip(folder) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for index, name in enumerate(IMAGES):
            archive.write(write_image(folder / name, seed=index, size=(240, 180)), name)
    return buffer.getvalue()


def sign_up(browser, link: str, username: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(link)
    page.fill("input[name=username]", username)
    page.fill("input[name=password1]", f"{username}-long-passphrase")
    page.fill("input[name=password2]", f"{username}-long-passphrase")
    if username.endswith("1"):
        screenshot(page, "coordinator-join-signup")
    page.click("#signup")
    page.wait_for_selector("text=You joined")
    return page


READY = ("window.moslabRating && window.moslabRating.ready() || document.querySelector('#completion-code') || "
         "document.querySelector('#reference-score')")


def rate_everything(page, rate_url: str, *, user=None) -> list[str]:
    """Through the instructions, the training image (then its reference score) and the qualification image, a 5
    for every image; with `user`, their first study image (not a hidden gold or repeat) gets a 3 with a reason
    instead. Returns the task labels seen, in order."""
    page.goto(rate_url)
    assert page.is_visible("#start"), "the instructions come first"
    page.click("#start")
    labels, disagreed = [], user is None
    for _ in range(20):
        page.wait_for_function(READY)
        if page.query_selector("#completion-code"):
            return labels
        if page.query_selector("#reference-score") and page.is_visible("#reference-score"):
            page.keyboard.press("Enter")  # after a training vote: the reference, then on
            continue
        labels.append(page.inner_text("#task-label").strip())
        if not disagreed and Enrolment.objects.get(user=user).phase == "rating" and RatingTask.objects.filter(
                annotator=user, status="pending").order_by("position").first().kind == "rating":
            page.keyboard.press("3")
            page.fill("#reason", "the shadows look noisy to me")
            page.click("#submit")
            disagreed = True
            continue
        page.keyboard.press("5")
        page.keyboard.press("Enter")
    raise AssertionError("the annotator never reached the end of the study")


def review_in_bulk(page, study_url: str) -> None:
    """From the study page's note to the review queue: filter by disagreement size, accept what matches at once."""
    page.goto(study_url)
    assert page.inner_text("#awaiting-review") == "1"
    page.click("text=Open the review queue")
    page.fill("input[name=min_spread]", "2")
    page.click("#review-filters button[type=submit]")
    page.wait_for_url("**min_spread=2**")
    assert page.inner_text("#matching") == "1" and page.is_checked("#select-all")
    screenshot(page, "coordinator-review-bulk")
    page.click("#bulk-decide button[value=accept]")
    page.wait_for_selector(".messages li")
    assert "1 image accepted." in page.inner_text(".messages")


def export_dataset(page, study_url: str) -> bytes:
    """Take a version on the study page, export it as a table and download the file."""
    page.goto(study_url)
    page.locator("#datasets input[name=label]").fill("first release")
    page.locator("#datasets").locator("text=Take a version").click()
    page.wait_for_selector("#content-hash")
    page.select_option("#exports select[name=format]", "table_csv")
    page.click("#exports button:has-text('Export')")
    page.wait_for_selector("text=Export queued")
    download = page.locator("#exports a:has-text('Download')")
    expect(download).to_have_count(1, timeout=90_000)  # the page reloads itself while the export runs
    screenshot(page, "coordinator-dataset-export")
    with page.expect_download() as info:
        download.click()
    return info.value.path().read_bytes()


def test_a_coordinator_sets_up_and_runs_a_study_without_the_admin(browser, page_for, make_user, live_server,
                                                                   settings, tmp_path, celery_worker_process):
    settings.MOSLAB_UPLOAD_CHUNK_BYTES = 64 * 1024  # several chunks, so the bar moves and a chunk can get lost
    coordinator = make_user("lead")
    coordinator.groups.add(Group.objects.get_or_create(name=settings.MOSLAB_STUDY_CREATORS_GROUP)[0])
    assert not coordinator.is_staff
    page = page_for(coordinator)
    visited = []
    page.on("request", lambda request: visited.append(request.url))

    page.click("#new-study")
    page.fill("input[name=name]", "Night photos")
    page.fill("textarea[name=description]", "Enhanced low-light photographs.")
    page.check("input[name=template][value=au-iqa]")
    page.fill("input[name=raters_per_stimulus]", "2")
    screenshot(page, "coordinator-new-study")
    page.click("#create-study")
    page.wait_for_selector("#study-setup")
    study = Study.objects.get(name="Night photos")
    assert study.protocols.count() == 1

    page.click("#people-link")
    page.fill("#invitation-create input[name=max_uses]", "2")
    page.fill("#invitation-create input[name=note]", "two lab annotators")
    page.click("#invitation-create button")
    link = page.inner_text("#invitation-link").strip()
    raters = [sign_up(browser, link, f"rater{number}") for number in (1, 2)]
    assert set(Membership.objects.filter(study=study, role="annotator").values_list("user__username", flat=True)) == {
        "rater1", "rater2"}
    page.reload()
    assert "2 of 2" in page.inner_text("#invitations")
    screenshot(page, "coordinator-people")

    page.goto(f"{live_server.url}/studies/{study.pk}/stimuli/upload/")
    lost = []

    def lose_one_chunk(route):
        if not lost and "offset=0" not in route.request.url:
            lost.append(route.request.url)
            route.abort("connectionreset")  # the connection drops once, mid-upload
        else:
            route.continue_()

    page.route("**/chunk?*", lose_one_chunk)
    zipped = tmp_path / "night.zip"
    zipped.write_bytes(images_zip(tmp_path / "images"))
    page.set_input_files("#upload-files", str(zipped))
    page.click("#upload-button")
    page.wait_for_selector("#upload-progress:not([hidden])")
    page.wait_for_selector("text=Imported 7 new stimuli", timeout=60_000)
    assert lost, "one chunk was lost and sent again"
    assert page.eval_on_selector("#upload-progress", "bar => bar.value === bar.max && bar.max > 64 * 1024 * 3")
    screenshot(page, "coordinator-upload")
    assert sorted(study.stimuli.values_list("name", flat=True)) == IMAGES

    page.goto(f"{live_server.url}/studies/{study.pk}/protocol/")
    items = tmp_path / "quality.csv"
    items.write_text("file,kind,reference_score,tolerance,explanation\nphoto4.png,gold,5,1,\n"
                     "photo5.png,training,5,1,A clean photograph: no deduction.\nphoto6.png,qualification,5,1,\n")
    page.set_input_files("#quality-items input[name=items]", str(items))
    page.click("#upload-quality-items")
    page.wait_for_selector("text=3 quality items set.")
    screenshot(page, "coordinator-quality-items")
    assert set(QualityItem.objects.filter(study=study).values_list("kind", flat=True)) == {
        "gold", "training", "qualification"}

    page.goto(f"{live_server.url}/studies/{study.pk}/")
    page.click("#open-study")
    page.wait_for_selector("text=The study is now open for rating.")

    rate = f"{live_server.url}/studies/{study.pk}/rate/"
    labels = rate_everything(raters[0], rate)
    assert labels[:2] == ["Training", "Qualification"] and set(labels[2:]) == {""}, labels
    rate_everything(raters[1], rate, user=Membership.objects.get(study=study, user__username="rater2").user)
    assert Rating.objects.filter(study=study, purpose="rating").count() == 8  # 4 images x 2 raters
    disagreed = Rating.objects.get(study=study, purpose="rating", score=3).stimulus.name

    page.goto(f"{live_server.url}/studies/{study.pk}/people/")
    screenshot(page, "coordinator-people-activity")
    assert "4 of 4" in page.inner_text("#members"), "the quality items are not images to rate"
    study_url = f"{live_server.url}/studies/{study.pk}/"
    review_in_bulk(page, study_url)
    assert StimulusReview.objects.get(study=study, status="accepted").stimulus.name == disagreed
    assert not StimulusReview.objects.filter(study=study, status="open").exists()
    page.goto(study_url)
    page.click("text=Compute MOS")
    page.wait_for_selector("text=Succeeded", timeout=60_000)
    computation = MosComputation.objects.get(study=study)
    warned = {warning["code"] for warning in computation.warnings}
    assert computation.num_ratings == 8 and not warned & {"unrated_stimulus", "stimuli_awaiting_review"}, warned
    assert sorted(computation.results.values_list("stimulus__name", "mos")) == [
        (name, 4.0 if name == disagreed else 5.0) for name in STUDY_IMAGES]  # no quality item among them

    table = export_dataset(page, study_url)
    export = DatasetExport.objects.get(version=DatasetVersion.objects.get(study=study))
    assert hashlib.sha256(table).hexdigest() == export.sha256
    items, _ = read_table(io.StringIO(table.decode("utf-8")))
    assert sorted((item.name, item.mos) for item in items) == sorted(
        computation.results.values_list("stimulus__name", "mos"))
    assert not [url for url in visited if "/admin/" in url]

    pages = ["/studies/new/", f"/studies/{study.pk}/", f"/studies/{study.pk}/people/",
             f"/studies/{study.pk}/stimuli/upload/", f"/studies/{study.pk}/protocol/"]
    for width in (1440, 1024, 390):
        page.set_viewport_size({"width": width, "height": 800})
        for path in pages:
            page.goto(live_server.url + path)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow} px at {width} px wide"
    page.goto(f"{live_server.url}/studies/{study.pk}/people/")
    screenshot(page, "coordinator-people-phone")


def test_the_set_up_pages_work_under_the_content_security_policy(page_for, make_user, live_server, settings, tmp_path):
    coordinator = make_user("lead")
    coordinator.groups.add(Group.objects.get_or_create(name=settings.MOSLAB_STUDY_CREATORS_GROUP)[0])
    page, console = watched(page_for, coordinator)
    page.goto(f"{live_server.url}/studies/new/")
    page.fill("input[name=name]", "Under policy")
    page.click("#create-study")
    page.wait_for_selector("#study-setup")
    study = Study.objects.get(name="Under policy")
    violations = []
    for path in (f"/studies/{study.pk}/people/", f"/studies/{study.pk}/stimuli/upload/"):
        visit(page, live_server.url + path, violations)
    zipped = tmp_path / "six.zip"
    zipped.write_bytes(images_zip(tmp_path / "images"))
    page.set_input_files("#upload-files", str(zipped))
    page.click("#upload-button")
    page.wait_for_selector("text=Imported 7 new stimuli", timeout=60_000)
    violations += page.evaluate("window.__cspViolations")
    assert violations == [] and console == [], "\n".join(violations + console)
