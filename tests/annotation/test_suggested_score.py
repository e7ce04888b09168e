"""The guideline's suggested score and reason rule in Python, against the table of cases the page's script is checked
on too."""
import json
from pathlib import Path

import pytest

from moslab_science.rating.protocol import protocol_from_dict

CASES = json.loads((Path(__file__).parent / "suggested_score_cases.json").read_text())["cases"]


def protocol_for(case: dict):
    return protocol_from_dict(case["config"], scale_min=case["scale"][0], scale_max=case["scale"][1])


def reason_probes(case: dict) -> list[tuple[float, bool]]:
    return [(float(score), needed) for score, needed in case.get("needs_reason", {}).items()]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_the_suggested_score_follows_the_shared_table(case):
    assert protocol_for(case).suggested_score(case["deductions"]) == case["suggested"]


@pytest.mark.parametrize("case", [c for c in CASES if "needs_reason" in c], ids=lambda c: c["name"])
def test_a_reason_is_asked_where_the_shared_table_says(case):
    protocol = protocol_for(case)
    assert {score: protocol.needs_reason(score=score, deductions=case["deductions"])
            for score, _ in reason_probes(case)} == dict(reason_probes(case))
