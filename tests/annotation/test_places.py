"""Rater places per stimulus are one rule: the vote's SQL and the ORM queries count the same places."""
import pytest

from annotation import assignment_services, selectors, vote_queries
from annotation.models import QualityItem, StimulusReview
from tests.annotation.helpers import protocol_study

pytestmark = pytest.mark.django_db


def test_places_agree_between_the_sql_the_orm_and_the_progress_bar(coordinator, make_user, tmp_path):
    study, _ = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "i", sources=3,
                              per_source=2, gold=1, annotators=1, raters_per_stimulus=2)
    images = list(study.stimuli.exclude(quality_items__isnull=False).order_by("pk"))
    added = {images[0].pk: [1, 2], images[3].pk: [4]}  # two reviews add 1 and 2 raters; another adds 4
    for pk, counts in added.items():
        for count in counts:
            StimulusReview.objects.create(study=study, stimulus_id=pk, status="more_raters", extra_raters=count)
    StimulusReview.objects.create(study=study, stimulus=images[1], status="consistent")
    expected = {image.pk: 2 + sum(added.get(image.pk, [])) for image in images}
    assert expected[images[0].pk] == 5 and expected[images[1].pk] == 2

    _, places, _, _ = assignment_services._capacity(study=study)
    assert places == expected, "the ORM's places (fixed panels and claims), quality items left out"
    for image in images:
        counts = vote_queries.stimulus_task_counts(stimulus_id=image.pk, raters_per_stimulus=2)
        assert counts.places == expected[image.pk], "the cross-check's SQL"
    assert selectors.study_places(study=study) == sum(expected.values()) == 19
    gold = QualityItem.objects.get(study=study).stimulus
    assert gold.pk not in places
