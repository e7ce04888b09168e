"""A coordinator sets a study up without the admin: New study from a protocol template (staff and the study
creators group only), quality items from a CSV on the protocol page, open and close from the study page."""
import uuid

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from annotation import enrolment_services, session_services, voting_services
from annotation.models import QualityItem, RatingTask
from annotation.protocol_services import protocol_current
from studies import services
from studies.models import Membership, Study
from tests.conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator(make_user, settings):
    user = make_user("maker")
    user.groups.add(Group.objects.get_or_create(name=settings.MOSLAB_STUDY_CREATORS_GROUP)[0])
    return user


def new_study(client, **fields):
    return client.post("/studies/new/", {"name": "Low light", "template": "au-iqa", "scale": "acr5",
                                         "raters_per_stimulus": 3, **fields})


@pytest.mark.parametrize("template,aspects,asks_reason", [("au-iqa", 4, True), ("plain-acr", 0, False)])
def test_a_study_creator_makes_a_study_from_a_template(client, creator, template, aspects, asks_reason):
    client.force_login(creator)
    assert 'id="new-study"' in client.get("/").content.decode()
    answer = new_study(client, template=template, description="enhancers at night")
    study = Study.objects.get(name="Low light")
    assert answer.status_code == 302 and answer["Location"] == f"/studies/{study.pk}/"
    assert (study.slug, study.status, study.raters_per_stimulus, study.description) == (
        "low-light", "draft", 3, "enhancers at night")
    assert Membership.objects.filter(study=study, user=creator, role="coordinator").exists()
    record, protocol = protocol_current(study=study)
    assert record.version == 1 and len(protocol.aspects) == aspects
    assert protocol.needs_reason(score=1, deductions={}) is asks_reason


def test_a_second_study_of_the_same_name_gets_its_own_slug(client, creator):
    client.force_login(creator)
    new_study(client)
    new_study(client, scale="slider100")
    assert sorted(Study.objects.values_list("slug", "scale_max")) == [("low-light", 5.0), ("low-light-2", 100.0)]


def test_bad_input_is_said_next_to_the_field(client, creator):
    client.force_login(creator)
    answer = new_study(client, name="", raters_per_stimulus=0, template="nonsense")
    assert answer.status_code == 400
    body = answer.content.decode()
    assert "This field is required" in body and "greater than or equal to 1" in body
    assert "Select a valid choice" in body
    assert not Study.objects.exists()


def test_others_cannot_make_studies(client, make_user):
    plain = make_user("plain")
    client.force_login(plain)
    assert 'id="new-study"' not in client.get("/").content.decode()
    assert new_study(client).status_code == 404
    refused = token_client(plain).post("/api/studies/", {"name": "x", "slug": "x"}, format="json")
    assert refused.status_code == 403 and "study creators" in refused.json()["detail"]
    assert not Study.objects.exists()


def test_the_api_lets_study_creators_make_studies(creator):
    made = token_client(creator).post("/api/studies/", {"name": "x", "slug": "x"}, format="json")
    assert made.status_code == 201 and made.json()["roles"] == ["coordinator"]


def csv_upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("items.csv", text.encode(), content_type="text/csv")


def test_quality_items_from_a_csv_on_the_protocol_page(client, open_study, coordinator):
    client.force_login(coordinator)
    text = ("file,kind,reference_score,tolerance,explanation\nimg0.png,gold,5,1,\n"
            "img1.png,training,2,1,Strong noise: 5 - 2 - 1 = 2\n")
    page = client.post(f"/studies/{open_study.pk}/protocol/quality-items/", {"items": csv_upload(text)}, follow=True)
    assert "2 quality items set." in page.content.decode()
    assert set(QualityItem.objects.filter(study=open_study).values_list("stimulus__name", "kind")) == {
        ("img0.png", "gold"), ("img1.png", "training")}


def test_a_bad_quality_csv_lists_every_problem_and_sets_nothing(client, open_study, coordinator):
    client.force_login(coordinator)
    text = "file,kind,reference_score\nimg0.png,gold,9\nmissing.png,training,3\nimg1.png,bonus,3\n"
    body = client.post(f"/studies/{open_study.pk}/protocol/quality-items/", {"items": csv_upload(text)},
                       follow=True).content.decode()
    assert "line 2" in body and "line 4" in body and "missing.png is not an image of this study" in body
    assert not QualityItem.objects.exists()
    empty = client.post(f"/studies/{open_study.pk}/protocol/quality-items/", follow=True).content.decode()
    assert "Choose a CSV file of quality items first" in empty


def test_quality_items_are_for_the_studys_coordinators_only(client, open_study, annotators):
    client.force_login(annotators[0])
    text = "file,kind,reference_score\nimg0.png,gold,5\n"
    assert client.post(f"/studies/{open_study.pk}/protocol/quality-items/",
                       {"items": csv_upload(text)}).status_code == 404
    assert not QualityItem.objects.exists()


def test_open_and_close_from_the_study_page(client, study, coordinator):
    client.force_login(coordinator)
    assert 'id="open-study"' in client.get(f"/studies/{study.pk}/").content.decode()
    client.post(f"/studies/{study.pk}/status/", {"status": "open"})
    study.refresh_from_db()
    assert study.status == "open"
    page = client.post(f"/studies/{study.pk}/status/", {"status": "shelved"}, follow=True).content.decode()
    assert "Unknown status &#x27;shelved&#x27;" in page
    client.post(f"/studies/{study.pk}/status/", {"status": "closed"})
    study.refresh_from_db()
    assert study.status == "closed"


def test_an_archived_study_takes_no_votes_and_offers_annotators_nothing(client, open_study, coordinator, annotators):
    client.force_login(coordinator)
    client.post(f"/studies/{open_study.pk}/status/", {"status": "archived"})
    open_study.refresh_from_db()
    assert open_study.status == "archived"
    assert 'id="archive-study"' not in client.get(f"/studies/{open_study.pk}/").content.decode()
    with pytest.raises(services.DomainError, match="archived; ratings are not accepted"):
        services.rating_record(study=open_study, stimulus=open_study.stimuli.first(), rater=annotators[0], score=3,
                               client_id=uuid.uuid4())
    client.force_login(annotators[0])
    home = client.get("/").content.decode()
    assert "Archived" in home and "Rate images" not in home


def test_an_imported_study_stays_closed(client, study, coordinator):
    Study.objects.filter(pk=study.pk).update(origin=Study.Origin.IMPORTED, status="closed")
    client.force_login(coordinator)
    page = client.post(f"/studies/{study.pk}/status/", {"status": "open"}, follow=True).content.decode()
    assert "stays closed" in page
    study.refresh_from_db()
    assert study.status == "closed"
    client.post(f"/studies/{study.pk}/status/", {"status": "archived"})
    study.refresh_from_db()
    assert study.status == "archived"


def test_a_plain_acr_study_is_rated_without_reasons(client, creator, make_user, image_folder):
    client.force_login(creator)
    new_study(client, template="plain-acr", raters_per_stimulus=1)
    study = Study.objects.get(name="Low light")
    services.stimuli_import(study=study, source=image_folder)
    services.study_status_set(study=study, status="open")
    rater = make_user("rater")
    services.membership_add(study=study, user=rater, role="annotator")
    client.force_login(rater)
    assert client.get(f"/studies/{study.pk}/rate/").status_code == 200
    enrolment_services.enrolment_accept_instructions(
        enrolment=enrolment_services.enrolment_get_or_start(study=study, user=rater))
    task = RatingTask.objects.get(pk=session_services.session_next(study=study, user=rater)[1]["tasks"][0]["id"])
    voting_services.rating_submit(task=task, user=rater, score=1, client_id=uuid.uuid4())  # far from 5, no reason
    assert study.ratings.get().score == 1
