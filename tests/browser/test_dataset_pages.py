"""A coordinator takes a dataset version, adds a 7:1:2 split, exports it with a real worker and downloads it."""
import hashlib
import io
import zipfile

import pytest
from playwright.sync_api import expect

from moslab_science.datasets import read_table
from studies.models import DatasetExport, DatasetVersion
from tests.browser.conftest import SCREENSHOTS, screenshot
from tests.studies.datasets_app.conftest import rated_study  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
NO_OVERFLOW = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def test_coordinator_versions_splits_exports_and_downloads(page_for, rated_study, coordinator,  # noqa: F811
                                                           celery_worker_process, live_server):
    page = page_for(coordinator)
    page.goto(f"{live_server.url}/studies/{rated_study.pk}/")
    section = page.locator("#datasets")
    section.locator("input[name=label]").fill("first look")
    section.locator("text=Take a version").click()
    page.wait_for_selector("#content-hash")
    version = DatasetVersion.objects.get(study=rated_study)
    assert page.text_content("#content-hash") == version.content_hash

    page.select_option("#splits select[name=kind]", "ratio")
    page.fill("#splits input[name=ratios]", "train=7,val=1,test=2")
    page.fill("#splits input[name=seed]", "7")
    page.click("text=Add split (makes a new version)")
    page.wait_for_selector("text=ratio-7-1-2-s7-r0")
    derived = DatasetVersion.objects.get(study=rated_study, number=2)
    assert derived.derived_from == version and page.text_content("#content-hash") == derived.content_hash
    assignment = derived.splits.get().assignment
    contents = {}
    for name, part in assignment.items():
        contents.setdefault(name.split("_")[0], set()).add(part)
    assert all(len(parts) == 1 for parts in contents.values()), "a source content lies in one part"

    for export_format in ("table_csv", "bundle"):
        page.select_option("#exports select[name=format]", export_format)
        page.click("#exports button:has-text('Export')")
        page.wait_for_selector("text=Export queued")
    downloads = page.locator("#exports a:has-text('Download')")
    expect(downloads).to_have_count(2, timeout=90_000)  # the page reloads itself while exports run
    exports = {export.format: export for export in DatasetExport.objects.filter(version=derived)}
    assert {export.status for export in exports.values()} == {DatasetExport.Status.SUCCEEDED}

    files = {}
    for row in page.locator("#exports tbody tr").all():
        with page.expect_download() as info:
            row.locator("a:has-text('Download')").click()
        files[info.value.suggested_filename] = info.value.path().read_bytes()
    table = files[f"{rated_study.slug}-v2-table_csv.csv"]
    bundle = files[f"{rated_study.slug}-v2-bundle.zip"]
    assert hashlib.sha256(table).hexdigest() == exports["table_csv"].sha256
    assert hashlib.sha256(bundle).hexdigest() == exports["bundle"].sha256
    items, splits = read_table(io.StringIO(table.decode("utf-8")))
    assert len(items) == 10 and splits == {"ratio-7-1-2-s7-r0": assignment}
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        stored = {stimulus.name: stimulus.sha256 for stimulus in rated_study.stimuli.all()}
        assert {name: hashlib.sha256(archive.read(f"images/{name}")).hexdigest() for name in stored} == stored

    page.goto(f"{live_server.url}/studies/{rated_study.pk}/datasets/{derived.pk}/")
    expect(page.locator("#exports a:has-text('Download')")).to_have_count(2)
    screenshot(page, "dataset-version")
    assert page.evaluate(NO_OVERFLOW), "the version page fits the window"
    page.goto(f"{live_server.url}/studies/{rated_study.pk}/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#datasets").screenshot(path=str(SCREENSHOTS / "dataset-section.png"))
    assert page.locator("#datasets tbody tr").count() == 2 and page.evaluate(NO_OVERFLOW)
