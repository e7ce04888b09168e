"""Plain-Python rules: the deduction guideline, the per-annotator order, the cross-check, the indicators."""
import random
from collections import Counter

import pytest

from moslab_science.rating.crosscheck import consistency_check
from moslab_science.rating.indicators import annotator_indicators
from moslab_science.rating.ordering import adjacent_repeats, spread_order
from moslab_science.rating.protocol import ConsistencyRule, ProtocolError, protocol_from_dict

ACR5_SCALE = {"scale_min": 1, "scale_max": 5}


def test_default_guideline_starts_at_five_and_weighs_resolution_and_distortion_most():
    protocol = protocol_from_dict({}, **ACR5_SCALE)
    assert protocol.suggested_score({}) == 5
    assert protocol.suggested_score({"noise": "moderate"}) == 4
    assert protocol.suggested_score({"resolution": "moderate"}) == 3.5  # 5 - 1.5, exact, not rounded
    assert protocol.suggested_score({"distortion": "severe"}) == 2
    assert protocol.suggested_score({a: "severe" for a in ("resolution", "brightness", "noise", "distortion")}) == 1
    weights = {a.key: a.weight for a in protocol.aspects}
    assert weights["resolution"] == weights["distortion"] > weights["noise"] == weights["brightness"]


def test_votes_off_the_scale_or_against_the_ticks_without_reason_are_refused():
    protocol = protocol_from_dict({}, **ACR5_SCALE)
    assert "off the scale" in protocol.vote_problems(score=6, deductions={}, reason="")[0]
    assert "not one of the scale's values" in protocol.vote_problems(score=3.5, deductions={}, reason="")[0]
    assert "Unknown aspect" in protocol.vote_problems(score=3, deductions={"colour": "none"}, reason="")[0]
    assert "say in one line why" in protocol.vote_problems(score=2, deductions={"noise": "slight"}, reason="")[0]
    assert protocol.vote_problems(score=2, deductions={"noise": "slight"}, reason="banding in the sky") == []
    assert protocol.vote_problems(score=4, deductions={"noise": "moderate"}, reason="") == []


def test_slider_scale_deducts_quarters_of_the_range():
    protocol = protocol_from_dict({}, scale_min=0, scale_max=100)
    assert (protocol.scale_min, protocol.scale_max) == (0, 100)
    assert protocol.suggested_score({"noise": "moderate"}) == 75
    assert protocol.vote_problems(score=62.5, deductions={"noise": "moderate"}, reason="") == []


@pytest.mark.parametrize("config, message", [
    ({"scale": "acr5"}, "Unknown protocol settings: scale"),  # the study owns its scale and raters
    ({"raters_per_stimulus": 3}, "Unknown protocol settings: raters_per_stimulus"),
    ({"severities": [{"key": "bad", "label": "Bad", "points": 1}]}, "must include 'none'"),
    ({"block_size": 0}, "block_size"), ({"colour": 1}, "Unknown protocol settings"),
])
def test_unusable_protocols_are_refused_with_the_reason(config, message):
    with pytest.raises(ProtocolError, match=message):
        protocol_from_dict(config, **ACR5_SCALE)


def test_spread_order_never_puts_one_source_twice_in_a_row_when_possible():
    rng = random.Random(7)
    for _ in range(500):
        items = [(i, rng.randrange(rng.randint(1, 6))) for i in range(rng.randint(1, 25))]
        largest = max(Counter(g for _, g in items).values())
        previous = rng.choice([None, 0, 1])
        order = spread_order(items, group=lambda item: item[1], rng=rng, previous=previous)
        assert sorted(order) == sorted(items)
        groups = [g for _, g in order]
        if largest * 2 <= len(items) - 1:  # room even when `previous` blocks the first place
            assert adjacent_repeats(([previous] if previous is not None else []) + groups) == 0


def test_orders_differ_between_annotators():
    items = list(range(20))
    orders = {tuple(spread_order(items, group=lambda i: i % 5, rng=random.Random(seed))) for seed in range(5)}
    assert len(orders) == 5


def test_crosscheck_flags_range_deviation_and_spread():
    rule = ConsistencyRule(min_range=2, max_deviation=1.5, max_std=None)
    assert not consistency_check({1: 4, 2: 4, 3: 5, 4: 4, 5: 4}, rule).flagged
    assert consistency_check({1: 4, 2: 4, 3: 5, 4: 4, 5: 3}, rule).flagged, "a range of 2 is flagged"
    result = consistency_check({1: 4, 2: 4, 3: 4, 4: 4, 5: 1}, rule)
    assert result.flagged and result.deviating == [5]
    spread = consistency_check({1: 2, 2: 3, 3: 3, 4: 4}, ConsistencyRule(None, None, max_std=0.5))
    assert spread.flagged and set(spread.deviating) == {1, 4}


def test_indicators_see_gold_repeats_and_straight_lining():
    q = annotator_indicators(scores_in_order=[3] * 12, response_ms=[1000, 3000], gold=[(3, 5, 1), (4, 4, 1)],
                             repeats=[(3, 3), (3, 5)])
    assert q.gold_accuracy == 0.5 and q.repeat_mean_abs_diff == 1 and q.median_seconds == 2
    assert q.straight_lining and q.longest_same_run == 12
