"""A coordinator edits the rating protocol in Chromium: a mistake is explained, the fix publishes version 2."""
import pytest

from studies.models import StudyProtocol
from tests.annotation.helpers import protocol_study
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_edits_and_publishes_the_protocol(page_for, live_server, coordinator, make_user, tmp_path):
    study, _ = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "img", gold=1)
    page = page_for(coordinator)
    page.goto(f"{live_server.url}/studies/{study.pk}/annotation/")
    page.click("text=Rating protocol")
    page.wait_for_selector("#protocol-form")
    page.check("input[name=scale][value=slider100]")
    page.fill("input[name=raters_per_stimulus]", "3")
    page.fill("input[name=block_size]", "25")
    page.fill("input[name=break_seconds]", "90")
    page.fill("input[name=aspects-0-weight]", "2")
    page.fill("input[name=aspects-4-key]", "colour")
    page.fill("input[name=aspects-4-label]", "Colour cast")
    page.fill("input[name=aspects-4-weight]", "0.5")
    page.fill("input[name=aspects-4-shortcut]", "r")  # taken by resolution
    page.select_option("select[name=examples-0-stimulus]", "gold0.png")
    page.fill("input[name=examples-0-caption]", "No visible problem: stays at the top of the scale")
    page.fill("input[name=note]", "slider for the pilot")
    page.click("#publish")
    page.wait_for_selector("#protocol-problems")
    assert "aspect shortcuts must be distinct letters" in page.inner_text("#protocol-problems")
    assert page.input_value("input[name=aspects-4-label]") == "Colour cast", "what was typed is kept"
    screenshot(page, "protocol-edit-error")
    assert StudyProtocol.objects.filter(study=study).count() == 1, "nothing published"

    page.fill("input[name=aspects-4-shortcut]", "c")
    page.click("#publish")
    page.wait_for_selector("text=Protocol version 2 published")
    screenshot(page, "protocol-edit")
    latest = StudyProtocol.objects.filter(study=study).order_by("-version").first()
    assert latest.version == 2 and latest.note == "slider for the pilot"
    study.refresh_from_db()
    assert (study.scale_min, study.scale_max, study.raters_per_stimulus) == (0, 100, 3), "the study's settings"
    assert "scale" not in latest.config and "raters_per_stimulus" not in latest.config
    assert latest.config["block_size"] == 25 and latest.config["break_seconds"] == 90
    assert [(a["key"], a["weight"], a["shortcut"]) for a in latest.config["aspects"]][::4] == [
        ("resolution", 2, "r"), ("colour", 0.5, "c")]
    assert latest.config["examples"] == [
        {"stimulus": "gold0.png", "caption": "No visible problem: stays at the top of the scale"}]
    assert page.input_value("input[name=raters_per_stimulus]") == "3", "the page shows the new version"
    assert "slider for the pilot" in page.inner_text("#versions")
