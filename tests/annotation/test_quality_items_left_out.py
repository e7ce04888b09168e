"""Training, qualification and gold images are not stimuli of the study: progress, MOS and versions leave them out."""
import uuid

import pytest
from django.core.management import call_command

from annotation import quality_services
from annotation.models import QualityItem
from studies import services as study_services
from studies.datasets import services as dataset_services
from studies.models import MosComputation, Rating, Stimulus
from studies.people.selectors import member_activity
from studies.selectors import study_progress
from tests.annotation.helpers import protocol_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(coordinator, make_user, tmp_path):
    """12 study images rated by 3 annotators; one training, one qualification and one gold image, the gold
    one voted on (a gold check, as the rating queue records it), imported from a CSV as a coordinator does."""
    study, users = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "img",
                                  raters_per_stimulus=3)
    quality_services.quality_items_import(study=study, text="file,kind,reference_score\n"
                                          "src0_v0.png,training,4\nsrc0_v1.png,qualification,3\n"
                                          "src0_v2.png,gold,5\n")
    for stimulus in Stimulus.objects.filter(study=study).exclude(name__startswith="src0_"):
        for number, user in enumerate(users):
            study_services.rating_record(study=study, stimulus=stimulus, rater=user, score=2 + number,
                                         client_id=uuid.uuid4(), details={"verified": True})
    gold = Stimulus.objects.get(study=study, name="src0_v2.png")
    study_services.rating_record(study=study, stimulus=gold, rater=users[0], score=5, client_id=uuid.uuid4(),
                                 details={"purpose": Rating.Purpose.GOLD, "verified": True})
    return study


def test_progress_and_people_count_the_study_images_only(rated):
    progress = study_progress(study=rated)
    assert (progress["stimuli"], progress["complete_stimuli"], progress["target_ratings"]) == (9, 9, 27)
    assert member_activity(study=rated)[1] == 9


def test_mos_warns_of_no_missing_votes_and_the_version_holds_the_study_images(rated, coordinator):
    computation = study_services.mos_computation_start(study=rated, by=coordinator)
    computation = study_services.mos_computation_run(computation_id=computation.pk)
    assert computation.status == MosComputation.Status.SUCCEEDED, computation.error
    assert not [w for w in computation.warnings if "no votes" in str(w)], computation.warnings
    names = set(computation.results.values_list("stimulus__name", flat=True))
    assert len(names) == 9 and not {name for name in names if name.startswith("src0_")}
    version = dataset_services.dataset_version_create(study=rated, by=coordinator)
    assert sorted(item["name"] for item in version.items) == sorted(names)


def test_the_import_marks_the_quality_images(rated):
    marked = set(Stimulus.objects.filter(study=rated, is_quality_item=True).values_list("name", flat=True))
    assert marked == {"src0_v0.png", "src0_v1.png", "src0_v2.png"}
    assert set(QualityItem.objects.filter(study=rated).values_list("stimulus__name", flat=True)) == marked


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_marks_quality_items_made_before_the_field(coordinator, make_user, tmp_path):
    study = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "img", gold=2)[0]
    Stimulus.objects.filter(study=study).update(is_quality_item=False)  # as before the field existed
    call_command("migrate", "annotation", "0005", verbosity=0)
    call_command("migrate", "annotation", verbosity=0)
    assert set(Stimulus.objects.filter(study=study, is_quality_item=True).values_list("name", flat=True)) == {
        "gold0.png", "gold1.png"}
