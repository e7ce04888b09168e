"""No two consecutive images from one source content, within blocks, across blocks and at the end of a study."""
import itertools
import random
import uuid
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotation import enrolment_services, protocol_services, session_services, voting_services
from annotation.models import RatingTask
from moslab_science.rating.ordering import adjacent_repeats, block_choice, spread_order, spreadable
from studies import services as study_services
from studies.models import Membership, Rating, Stimulus, Study

groups_st = st.lists(st.sampled_from("ABCD"), max_size=9)
previous_st = st.sampled_from([None, "A", "B"])


@given(groups=st.lists(st.sampled_from("ABC"), max_size=7), previous=previous_st)
def test_spreadable_agrees_with_trying_every_order(groups, previous):
    exists = any(
        adjacent_repeats(([previous] if previous else []) + list(order)) == 0
        for order in set(itertools.permutations(groups))
    )
    assert spreadable(Counter(groups), previous=previous) == exists


@given(groups=groups_st, previous=previous_st, seed=st.integers(0, 2**16))
def test_spread_order_has_no_repeats_whenever_one_exists(groups, previous, seed):
    items = list(enumerate(groups))
    order = spread_order(items, group=lambda item: item[1], rng=random.Random(seed), previous=previous)
    assert sorted(order) == items
    if spreadable(Counter(groups), previous=previous):
        assert adjacent_repeats(([previous] if previous else []) + [g for _, g in order]) == 0


@given(groups=groups_st, previous=previous_st, size=st.integers(1, 8))
def test_block_choice_can_follow_the_previous_image_unless_nothing_can(groups, previous, size):
    candidates = list(enumerate(groups))
    chosen = block_choice(candidates, size=size, group=lambda item: item[1], previous=previous)
    assert len(chosen) <= size and len(set(chosen)) == len(chosen) and set(chosen) <= set(candidates)
    assert bool(chosen) == bool(candidates), "some work is always handed out while there is some"
    if any(group != previous for group in groups):
        assert spreadable(Counter(g for _, g in chosen), previous=previous)
    else:
        assert len(chosen) <= 1, "when a repeat is unavoidable, one image at a time, the rest left to others"


def bulk_study(*, sources: list[int], raters: int, annotators: int, block_size: int, tag: str):
    """A study whose images need no files (never shown here): sources[i] images of source content i."""
    owner = get_user_model().objects.create_user(f"{tag}-coord")
    study = study_services.study_create(name=tag, slug=tag, created_by=owner)
    names = [(source, index) for source, count in enumerate(sources) for index in range(count)]
    Stimulus.objects.bulk_create([
        Stimulus(study=study, name=f"s{source}-{index}.png", file=f"x/{tag}-{source}-{index}.png",
                 sha256=f"{tag}-{source}-{index}", size_bytes=1, image_format="PNG", width=8, height=8,
                 source_content=f"src{source}")
        for source, index in names
    ])
    protocol_services.protocol_publish(study=study, by=owner, raters_per_stimulus=raters,
                                       config={"block_size": block_size, "break_seconds": 0})
    Study.objects.filter(pk=study.pk).update(status=Study.Status.OPEN)
    study.refresh_from_db()
    users = []
    for number in range(annotators):
        user = get_user_model().objects.create_user(f"{tag}-a{number}")
        study_services.membership_add(study=study, user=user, role=Membership.Role.ANNOTATOR)
        enrolment_services.enrolment_accept_instructions(
            enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
        users.append(user)
    return study, users


def open_groups_for(study, user) -> Counter:
    """Source contents of the images this user could still claim, counted independently of the services."""
    claimed = Counter(RatingTask.objects.filter(study=study, kind="rating").values_list("stimulus_id", flat=True))
    held = set(RatingTask.objects.filter(study=study, annotator=user).values_list("stimulus_id", flat=True))
    return Counter(source for pk, source in Stimulus.objects.filter(study=study).values_list("pk", "source_content")
                   if claimed[pk] < study.raters_per_stimulus and pk not in held)


def queue_groups(study, user) -> list[str]:
    return list(RatingTask.objects.filter(study=study, annotator=user).order_by("position")
                .values_list("stimulus__source_content", flat=True))


runs = itertools.count()


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sources=st.lists(st.integers(1, 5), min_size=1, max_size=4), raters=st.integers(1, 3),
       extra_annotators=st.integers(0, 2), block_size=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_annotators_working_in_turn_never_see_one_source_twice_in_a_row_unless_it_is_all_that_is_left(
    sources, raters, extra_annotators, block_size, seed
):
    study, users = bulk_study(sources=sources, raters=raters, annotators=raters + extra_annotators,
                              block_size=block_size, tag=f"order{next(runs)}")
    rng = random.Random(seed)
    active = list(users)
    while active:
        user = rng.choice(active)
        pending = RatingTask.objects.filter(study=study, annotator=user, status="pending")
        if not pending.exists():
            before = queue_groups(study, user)
            open_groups = open_groups_for(study, user)
            session_services.session_next(study=study, user=user)
            block = queue_groups(study, user)[len(before):]
            if not block:
                assert not open_groups
                active.remove(user)
                continue
            if any(group != (before[-1] if before else None) for group in open_groups):
                assert adjacent_repeats(before[-1:] + block) == 0, (before, block, open_groups)
            else:
                assert len(block) == 1, "an unavoidable repeat hands out one image at a time"
        task = pending.order_by("priority", "position").first()
        voting_services.rating_submit(task=task, user=user, score=3, client_id=uuid.uuid4())
    votes = Counter(Rating.objects.filter(study=study).values_list("stimulus_id", flat=True))
    assert set(votes.values()) == {raters} and len(votes) == sum(sources), "every image still gets its N raters"


@pytest.mark.django_db
def test_with_one_source_content_left_the_images_come_one_at_a_time_and_all_get_rated():
    study, (user,) = bulk_study(sources=[3], raters=1, annotators=1, block_size=5, tag="one-source")
    for expected in (1, 2, 3):
        _, state = session_services.session_next(study=study, user=user)
        assert len(state["tasks"]) == 1, "one image per block while nothing else is left"
        voting_services.rating_submit(task=RatingTask.objects.get(pk=state["tasks"][0]["id"]), user=user, score=3,
                                      client_id=uuid.uuid4())
        assert Rating.objects.filter(study=study).count() == expected
    enrolment, state = session_services.session_next(study=study, user=user)
    assert state["tasks"] == [] and enrolment.phase == "done"
    assert adjacent_repeats(queue_groups(study, user)) == 2, "three images of one source cannot be spread"
