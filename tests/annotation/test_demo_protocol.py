"""The demo publishes a protocol so a newcomer sees the whole flow: instructions with the illustrated guideline,
training with feedback against the reference score, qualification, gold items; its datasheet records it."""
import uuid
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from annotation import enrolment_services, protocol_services, session_services, voting_services
from annotation.models import Enrolment, QualityItem, RatingTask
from moslab_science.demo_protocol import EXAMPLES, QUALITY_IMAGES
from studies import services
from studies.datasets import services as dataset_services
from studies.datasets.datasheet import datasheet_markdown
from studies.datasets.exports import bundle_metadata
from studies.datasets.snapshot import items_of
from studies.models import Study

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(capsys):
    call_command("demo_study")
    call_command("simulate_raters", "au-iqa-demo", "--raters", "6", "--coordinator", "coordinator")
    call_command("demo_protocol", "au-iqa-demo", "--coordinator", "coordinator")
    assert "Protocol version 1 published with 7 training, qualification and gold images" in capsys.readouterr().out
    return Study.objects.get(slug="au-iqa-demo")


def test_the_demo_publishes_the_illustrated_guideline_and_its_quality_images(demo, capsys):
    record, protocol = protocol_services.protocol_current(study=demo)
    assert record.version == 1 and list(protocol.examples) == EXAMPLES and protocol.gold_every == 10
    items = QualityItem.objects.filter(study=demo)
    assert Counter(items.values_list("kind", flat=True)) == {"training": 2, "qualification": 3, "gold": 2}
    assert {item.stimulus.name for item in items} == {image.file for image in QUALITY_IMAGES}
    assert not RatingTask.objects.filter(study=demo, kind="rating", stimulus__in=items.values("stimulus")).exists()
    call_command("demo_protocol", "au-iqa-demo", "--coordinator", "coordinator")
    assert "nothing changed" in capsys.readouterr().out
    assert demo.protocols.count() == 1 and items.count() == 7


def test_the_demo_annotator_meets_instructions_then_training_with_feedback(demo):
    annotator = get_user_model().objects.get(username="annotator")
    enrolment = enrolment_services.enrolment_get_or_start(study=demo, user=annotator)
    assert enrolment.phase == Enrolment.Phase.INSTRUCTIONS
    enrolment_services.enrolment_accept_instructions(enrolment=enrolment)
    _, state = session_services.session_next(study=demo, user=annotator)
    task = RatingTask.objects.get(pk=state["tasks"][0]["id"])
    assert task.kind == RatingTask.Kind.TRAINING and task.stimulus.name.startswith("qc-training-")
    result = voting_services.rating_submit(task=task, user=annotator, score=5, client_id=uuid.uuid4())
    reference = QualityItem.objects.get(stimulus=task.stimulus, kind="training")
    assert result.feedback["reference"] == reference.reference_score < 5
    assert "so" in result.feedback["explanation"] and result.feedback["your_score"] == 5


def test_the_demo_datasheet_records_its_protocol(demo):
    coordinator = get_user_model().objects.get(username="coordinator")
    services.mos_computation_run(computation_id=services.mos_computation_start(study=demo, by=coordinator).pk)
    version = dataset_services.dataset_version_create(study=demo, by=coordinator)
    sheet = datasheet_markdown(bundle_metadata(version), items_of(version.items), num_ratings=0, num_raters=0)
    assert "No rating protocol is recorded" not in sheet
    assert "Protocol version 1:" in sheet and "coffee__reference.png" in sheet
