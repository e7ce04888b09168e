"""Training, qualification and gold images from a CSV: all or nothing, every problem listed, idempotent."""
import pytest
from django.core.management import CommandError, call_command

from annotation import enrolment_services, session_services
from annotation.models import QualityItem
from tests.annotation.helpers import protocol_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def study(coordinator, make_user, tmp_path):
    return protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "img",
                          config={"block_size": 4})[0]


def test_the_command_sets_quality_items_and_importing_again_changes_nothing(study, tmp_path):
    path = tmp_path / "quality.csv"
    path.write_text("file,kind,reference_score,tolerance,explanation\n"
                    "src0_v0.png,training,4,0.5,slight noise only\n"
                    "src1_v0.png,Qualification,2,,\n"
                    "src2_v0.png,gold,5,1,\n")
    for _ in range(2):
        call_command("quality_items", study.slug, str(path))
        items = {(i.stimulus.name, i.kind, i.reference_score, i.tolerance, i.explanation)
                 for i in QualityItem.objects.filter(study=study)}
        assert items == {("src0_v0.png", "training", 4, 0.5, "slight noise only"),
                         ("src1_v0.png", "qualification", 2, 1, ""), ("src2_v0.png", "gold", 5, 1, "")}


def test_a_bad_csv_lists_every_problem_and_stores_nothing(study, make_user, tmp_path):
    user = study.memberships.filter(role="annotator").first().user
    enrolment_services.enrolment_accept_instructions(
        enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
    session_services.session_next(study=study, user=user)  # claims a block of 4 images: those are taken
    claimed = set(study.rating_tasks.values_list("stimulus__name", flat=True))
    named = {"src1_v1.png", "src2_v1.png", "src3_v1.png"}
    taken = sorted(claimed - named)[0]
    free = sorted(set(study.stimuli.values_list("name", flat=True)) - claimed - named)[0]
    path = tmp_path / "quality.csv"
    path.write_text("file,kind,reference_score\n"
                    f"{free},gold,4\n"
                    "nowhere.png,gold,3\n"
                    "src1_v1.png,golden,3\n"
                    "src2_v1.png,gold,9\n"
                    "src3_v1.png,gold,three\n"
                    f"{taken},gold,3\n")
    with pytest.raises(CommandError) as refused:
        call_command("quality_items", study.slug, str(path))
    message = str(refused.value)
    for expected in ("nowhere.png is not an image of this study", "line 4: kind 'golden' must be one of",
                     "line 5: reference_score 9 is off the scale 1-5", "line 6: reference_score and tolerance must",
                     f"{taken} is assigned for rating already"):
        assert expected in message
    assert not QualityItem.objects.filter(study=study).exists(), f"{free} was fine but nothing is stored"


def test_unknown_columns_are_refused(study, tmp_path):
    path = tmp_path / "quality.csv"
    path.write_text("file,kind,score\nsrc0_v0.png,gold,4\n")
    with pytest.raises(CommandError, match="the columns must be file, kind, reference_score"):
        call_command("quality_items", study.slug, str(path))
