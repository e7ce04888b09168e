"""The rating page's suggested score and reason rule (static/js/suggested_score.js) in Chromium, against the Python
rules' table."""
from pathlib import Path

import pytest

from tests.annotation.test_suggested_score import CASES, protocol_for, reason_probes

pytestmark = pytest.mark.browser
SCRIPT = Path(__file__).resolve().parents[2] / "static" / "js" / "suggested_score.js"


def test_the_page_script_suggests_what_the_table_says(browser):
    page = browser.new_page()
    page.set_content("<!doctype html><title>suggested score</title>")
    page.add_script_tag(path=str(SCRIPT))
    got = page.evaluate(
        """(cases) => cases.map(([protocol, deductions, probes]) => [window.moslabSuggestedScore(protocol, deductions),
            probes.map(([score]) => [score, window.moslabNeedsReason(protocol, deductions, score)])])""",
        [[protocol_for(case).as_client(), case["deductions"], reason_probes(case)] for case in CASES],
    )
    page.close()
    assert {case["name"]: value for case, (value, _) in zip(CASES, got, strict=True)} == {
        case["name"]: case["suggested"] for case in CASES}
    assert {case["name"]: [tuple(probe) for probe in probes] for case, (_, probes) in zip(CASES, got, strict=True)} == {
        case["name"]: reason_probes(case) for case in CASES}
