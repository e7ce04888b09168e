"""Claims that scale with any protocol: the ordering step is near-linear, every protocol number is bounded."""
import random
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotation.assignment_services import queue_fill
from annotation.models import RatingTask
from annotation.protocol_forms import ProtocolForm
from common.errors import DomainError
from moslab_science.rating.ordering import adjacent_repeats, block_choice, spread_order
from moslab_science.rating.protocol import ProtocolError, protocol_from_dict
from moslab_science.rating.protocol_limits import WHOLE_LIMITS
from studies import services as study_services
from studies.models import Membership, Stimulus, Study

MAX_BLOCK = WHOLE_LIMITS["block_size"][1]


class Key:
    """A group key that counts how often the ordering hashes or compares it: the work it does per item."""

    touched = 0

    def __init__(self, name: int):
        self.name = name

    def __hash__(self) -> int:
        Key.touched += 1
        return hash(self.name)

    def __eq__(self, other) -> bool:
        Key.touched += 1
        return isinstance(other, Key) and other.name == self.name


def work_per_item(order_of, size: int) -> float:
    keys = [Key(number) for number in range(size // 2)]  # two items per group: as many groups as can be
    items = [(index, keys[index % len(keys)]) for index in range(size)]
    Key.touched = 0
    order_of(items)
    return Key.touched / size


@pytest.mark.parametrize("size", [100, 1000, 4000])
def test_spread_order_does_a_constant_amount_of_work_per_item(size):
    work = work_per_item(lambda items: spread_order(items, group=lambda item: item[1], rng=random.Random(size)),
                         size)
    assert work < 30, f"{work:.0f} key operations per item at {size} items: the order is not near-linear"


@pytest.mark.parametrize("size", [100, 1000, 4000])
def test_block_choice_does_a_constant_amount_of_work_per_candidate(size):
    work = work_per_item(lambda items: block_choice(items, size=size // 4, group=lambda item: item[1]), size)
    assert work < 30, f"{work:.0f} key operations per candidate at {size} candidates"


def test_a_crowded_group_still_spreads_as_well_as_it_can_in_linear_work():
    keys = [Key(number) for number in range(501)]
    items = [(index, keys[0]) for index in range(1500)] + [(1500 + n, keys[n]) for n in range(1, 501)]
    Key.touched = 0
    order = spread_order(items, group=lambda item: item[1], rng=random.Random(3))
    assert Key.touched / len(items) < 60 and sorted(order) == sorted(items)
    # 1500 of one group and 500 others: every other place holds an other, so 1500 - 501 repeats at least
    assert adjacent_repeats([key.name for _, key in order]) == 1500 - 501


@pytest.mark.parametrize("config, message", [
    ({"block_size": MAX_BLOCK + 1}, f"block_size must be a whole number from 1 to {MAX_BLOCK}"),
    ({"block_size": True}, "block_size must be a whole number"),
    ({"break_seconds": 10**9}, "break_seconds must be a whole number from 0 to 3600"),
    ({"reason_tolerance": float("nan")}, "reason_tolerance must be a number from 0 to 4"),
    ({"consistency": {"max_std": -1}}, "max_std must be a number from 0 to 100"),
    ({"examples": 7}, "examples must be a list"),
    ({"severities": [{"key": "none", "label": "None", "points": 1e300}]}, "points must be a number from 0 to 4"),
])
def test_protocol_numbers_out_of_their_range_are_refused_with_the_range(config, message):
    with pytest.raises(ProtocolError, match=message):
        protocol_from_dict(config, scale_min=1, scale_max=5)


@pytest.mark.django_db
def test_the_studys_raters_per_stimulus_are_bounded_with_the_protocols_numbers():
    owner = get_user_model().objects.create_user("bound-coord")
    study = study_services.study_create(name="Bound", slug="bound", created_by=owner, raters_per_stimulus=1)
    with pytest.raises(DomainError, match="raters_per_stimulus must be a whole number from 1 to 50"):
        study_services.study_rating_settings_update(study=study, scale_min=1, scale_max=5, raters_per_stimulus=51)


def test_the_protocol_form_shows_and_enforces_the_same_bounds():
    form = ProtocolForm(data={"scale": "acr5", "raters_per_stimulus": 5, "instructions": "Rate.",
                              "reason_tolerance": 0.5, "qualification_threshold": 0.7, "gold_every": 0,
                              "gold_pause_after": 0, "repeats_per_block": 0, "block_size": MAX_BLOCK + 1,
                              "break_seconds": 0, "relabel_rounds": 0})
    assert not form.is_valid()
    assert form.errors["block_size"] == [f"Ensure this value is less than or equal to {MAX_BLOCK}."]
    assert f'max="{MAX_BLOCK}"' in str(form["block_size"])


@pytest.mark.django_db
def test_a_block_at_the_largest_size_is_claimed_with_a_fixed_number_of_queries():
    owner = get_user_model().objects.create_user("scale-coord")
    study = study_services.study_create(name="Scale", slug="scale", created_by=owner, raters_per_stimulus=1)
    count = 3 * MAX_BLOCK
    Stimulus.objects.bulk_create([
        Stimulus(study=study, name=f"s{index}.png", file=f"x/scale-{index}.png", sha256=f"scale-{index}",
                 size_bytes=1, image_format="PNG", width=8, height=8, source_content=f"src{index % (count // 3)}")
        for index in range(count)
    ])
    Study.objects.filter(pk=study.pk).update(status=Study.Status.OPEN)
    study.refresh_from_db()
    user = get_user_model().objects.create_user("scale-rater")
    study_services.membership_add(study=study, user=user, role=Membership.Role.ANNOTATOR)
    protocol = protocol_from_dict({"block_size": MAX_BLOCK}, scale_min=1, scale_max=5)
    with CaptureQueriesContext(connection) as queries:
        claimed = queue_fill(study=study, user=user, protocol=protocol, rng=random.Random(1))
    assert claimed == MAX_BLOCK and len(queries) <= 15, [query["sql"][:120] for query in queries]
    groups = list(RatingTask.objects.filter(study=study, annotator=user).order_by("position")
                  .values_list("stimulus__source_content", flat=True))
    assert len(groups) == MAX_BLOCK and adjacent_repeats(groups) == 0
    assert max(Counter(groups).values()) <= MAX_BLOCK // 2
