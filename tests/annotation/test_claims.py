"""Claiming a block: the database counts raters per stimulus and hands back the most covered candidates."""
import random

import pytest

from annotation import assignment_services
from annotation.models import RatingTask, StimulusReview
from moslab_science.rating.protocol import protocol_from_dict
from studies import services as study_services
from studies.models import Membership, Stimulus, Study

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_study(coordinator, make_user):
    """300 stimuli without files (claims never read them), 3 raters each, blocks of 4."""
    study = study_services.study_create(name="Big", slug="big", created_by=coordinator, raters_per_stimulus=3)
    Stimulus.objects.bulk_create([
        Stimulus(study=study, name=f"s{i:04d}.png", file=f"x/{i}.png", sha256=f"{i:064x}", width=8, height=8,
                 source_content=f"c{i // 3}")
        for i in range(300)
    ])
    Study.objects.filter(pk=study.pk).update(status=Study.Status.OPEN)
    users = [make_user(f"rater{i}") for i in range(5)]
    for user in users:
        study_services.membership_add(study=study, user=user, role=Membership.Role.ANNOTATOR)
    study.refresh_from_db()
    return study, users


def give(study, user, stimuli, slot):
    RatingTask.objects.bulk_create([RatingTask(study=study, stimulus=s, annotator=user, kind="rating", slot=slot,
                                               position=index) for index, s in enumerate(stimuli)])


def test_the_most_covered_stimuli_are_claimed_first_wherever_they_are_in_the_study(big_study):
    study, (first, second, third, me, _) = big_study
    stimuli = list(study.stimuli.order_by("name"))
    give(study, first, stimuli[280:290], slot=0)  # far beyond the first pool of 100 by name
    give(study, second, stimuli[284:290], slot=1)
    give(study, third, stimuli[289:290], slot=2)  # s0289 is full
    protocol = protocol_from_dict({"block_size": 4}, scale_min=1, scale_max=5)
    assert assignment_services.queue_fill(study=study, user=me, protocol=protocol, rng=random.Random(1)) == 4
    claimed = set(RatingTask.objects.filter(annotator=me).values_list("stimulus__name", flat=True))
    assert claimed <= {s.name for s in stimuli[284:289]}, "two raters already beat one beats none"
    slots = dict(RatingTask.objects.filter(annotator=me).values_list("stimulus__name", "slot"))
    assert set(slots.values()) == {2}


def test_a_claim_never_repeats_a_stimulus_for_a_rater_nor_overfills_one(big_study):
    study, users = big_study
    protocol = protocol_from_dict({"block_size": 20}, scale_min=1, scale_max=5)
    rng = random.Random(3)
    while any(assignment_services.queue_fill(study=study, user=user, protocol=protocol, rng=rng) for user in users):
        pass
    tasks = RatingTask.objects.filter(study=study, kind="rating")
    assert tasks.count() == 300 * 3
    pairs = list(tasks.values_list("stimulus_id", "annotator_id"))
    assert len(set(pairs)) == len(pairs)
    per_stimulus = {}
    for stimulus_id, _ in pairs:
        per_stimulus[stimulus_id] = per_stimulus.get(stimulus_id, 0) + 1
    assert set(per_stimulus.values()) == {3}


def test_extra_raters_asked_for_by_a_review_open_more_places(big_study, coordinator):
    study, (first, second, third, me, _) = big_study
    stimulus = study.stimuli.order_by("name").last()
    for slot, user in enumerate((first, second, third)):
        give(study, user, [stimulus], slot=slot)
    StimulusReview.objects.create(study=study, stimulus=stimulus, extra_raters=1, round=1)
    protocol = protocol_from_dict({"block_size": 1}, scale_min=1, scale_max=5)
    assignment_services.queue_fill(study=study, user=me, protocol=protocol, rng=random.Random(0))
    assert RatingTask.objects.get(annotator=me).stimulus == stimulus
