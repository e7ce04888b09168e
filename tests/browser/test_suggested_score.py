"""The rating page's suggested score (static/js/suggested_score.js) in Chromium, against the Python rule's table."""
from pathlib import Path

import pytest

from tests.annotation.test_suggested_score import CASES, protocol_for

pytestmark = pytest.mark.browser
SCRIPT = Path(__file__).resolve().parents[2] / "static" / "js" / "suggested_score.js"


def test_the_page_script_suggests_what_the_table_says(browser):
    page = browser.new_page()
    page.set_content("<!doctype html><title>suggested score</title>")
    page.add_script_tag(path=str(SCRIPT))
    got = page.evaluate(
        "(cases) => cases.map(([protocol, deductions]) => window.moslabSuggestedScore(protocol, deductions))",
        [[protocol_for(case).as_client(), case["deductions"]] for case in CASES],
    )
    page.close()
    assert {case["name"]: value for case, value in zip(CASES, got, strict=True)} == {
        case["name"]: case["suggested"] for case in CASES}
