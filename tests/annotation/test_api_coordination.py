"""The coordinator's side of annotation through the API with a token: protocol versions, quality items and the
review queue. Each write is checked by what it stored; bad input answers a 400 that says what to fix."""

import pytest

from annotation import enrolment_services
from annotation.models import QualityItem, StimulusReview
from studies import services as study_services
from studies.models import Membership, Rating, StudyProtocol
from tests.annotation.helpers import protocol_study
from tests.annotation.test_review_and_concurrency import rate_all
from tests.conftest import token_client

pytestmark = pytest.mark.django_db


def test_protocol_versions_are_read_and_published(study, make_user):
    client = token_client(study.created_by)
    current = client.get(f"/api/annotation/studies/{study.pk}/protocol/").json()
    assert current["version"] is None and current["study"]["raters_per_stimulus"] == 2, "the study's setting"
    assert current["settings"]["relabel_rounds"] == 2, "the defaults"
    url = f"/api/annotation/studies/{study.pk}/protocol/versions/"
    config = {**current["settings"], "relabel_rounds": 1}
    published = client.post(url, {"config": config, "note": "slider", "scale": "slider100"}, format="json")
    assert published.status_code == 201 and published.json()["version"] == 1
    study.refresh_from_db()
    assert (study.scale_min, study.scale_max) == (0, 100), "the scale is the study's, saved with the version"
    client.post(url, {"config": {}, "scale": "acr5", "raters_per_stimulus": 3}, format="json")
    study.refresh_from_db()
    assert (study.scale_min, study.scale_max, study.raters_per_stimulus) == (1, 5, 3)
    assert client.get(f"/api/annotation/studies/{study.pk}/protocol/").json()["settings"]["relabel_rounds"] == 2, \
        "v2 took the defaults again"
    history = client.get(url).json()
    assert [(v["version"], v["note"]) for v in history["results"]] == [(2, ""), (1, "slider")]
    assert client.get(f"/api/annotation/studies/{study.pk}/protocol/").json()["version"]["version"] == 2
    for bad, says in (({"colour": "red"}, "Unknown protocol settings"), ({"consistency": 5}, "consistency"),
                      ({"qualification_threshold": "most"}, "qualification_threshold"),
                      ({"aspects": [{"key": "", "label": "x", "weight": 1}]}, "aspects"),
                      ({"raters_per_stimulus": 3}, "Unknown protocol settings")):
        refused = client.post(url, {"config": bad}, format="json")
        assert refused.status_code == 400 and says in refused.json()["detail"], (bad, refused.json())
    too_many = client.post(url, {"config": {}, "raters_per_stimulus": 40000}, format="json")
    assert too_many.status_code == 400 and "raters_per_stimulus" in too_many.json()
    assert client.post(url, {"config": [1, 2]}, format="json").status_code == 400
    assert StudyProtocol.objects.filter(study=study).count() == 2
    researcher, annotator = make_user("res"), make_user("ann")
    study_services.membership_add(study=study, user=researcher, role=Membership.Role.RESEARCHER)
    study_services.membership_add(study=study, user=annotator, role=Membership.Role.ANNOTATOR)
    assert token_client(researcher).get(url).status_code == 200
    assert token_client(researcher).post(url, {"config": {}}, format="json").status_code == 403
    assert token_client(annotator).get(f"/api/annotation/studies/{study.pk}/protocol/").status_code == 403


def test_quality_items_are_added_from_rows_all_or_nothing(open_study, make_user):
    client = token_client(open_study.created_by)
    url = f"/api/annotation/studies/{open_study.pk}/quality-items/"
    rows = [{"file": "img0.png", "kind": "gold", "reference_score": 4.5, "tolerance": 0.5},
            {"file": "img1.png", "kind": "training", "reference_score": 2, "explanation": "blur"}]
    added = client.post(url, {"items": rows}, format="json")
    assert added.status_code == 201 and added.json() == {"added": 2}
    assert client.post(url, {"items": rows}, format="json").json() == {"added": 2}
    assert QualityItem.objects.filter(study=open_study).count() == 2, "the same rows again change nothing"
    gold = client.get(url, {"kind": "gold"}).json()
    assert [(i["stimulus"], i["reference_score"], i["tolerance"]) for i in gold["results"]] == [("img0.png", 4.5, 0.5)]
    bad = [{"file": "img2.png", "kind": "gold", "reference_score": 9},
           {"file": "nowhere.png", "kind": "training", "reference_score": 3},
           {"file": "img3.png", "kind": "qualification", "reference_score": 3}]
    refused = client.post(url, {"items": bad}, format="json")
    assert refused.status_code == 400
    assert [p.split(":")[0] for p in refused.json()["problems"]] == ["item 1", "nowhere.png is not an image of this "
                                                                              "study"]
    assert QualityItem.objects.filter(study=open_study).count() == 2, "nothing of the refused rows was added"
    assert client.post(url, {"items": [{"file": "img2.png", "kind": "bonus", "reference_score": 3}]},
                       format="json").status_code == 400
    researcher = make_user("res")
    study_services.membership_add(study=open_study, user=researcher, role=Membership.Role.RESEARCHER)
    assert token_client(researcher).get(url).status_code == 403, "gold answers stay with the coordinators"


@pytest.fixture
def flagged(coordinator, make_user, tmp_path):
    """Three images rated 1 and 4 by two raters: each is flagged and waits in the review queue."""
    study, users = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "i", sources=1,
                                  per_source=3, annotators=3, raters_per_stimulus=2,
                                  config={"relabel_rounds": 1})
    for index, user in enumerate(users[:2]):
        enrolment = enrolment_services.enrolment_get_or_start(study=study, user=user)
        enrolment_services.enrolment_accept_instructions(enrolment=enrolment)
        rate_all(study, user, lambda task, i=index: 1 + 3 * i)
    return study, users


def test_the_review_queue_lists_flagged_stimuli_with_their_votes(flagged):
    study, users = flagged
    client = token_client(study.created_by)
    url = f"/api/annotation/studies/{study.pk}/reviews/"
    page = client.get(url, {"page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2
    every = client.get(url).json()["results"]
    first = next(row for row in every if row["stimulus"] == "src0_v0.png")  # flagged in the order they were rated
    assert first["reasons"]
    assert sorted((v["rater"], v["score"]) for v in first["votes"]) == [("Rater A", 1.0), ("Rater B", 4.0)]
    named = client.get(url, {"names": "true", "search": "v1"}).json()["results"]
    assert [r["stimulus"] for r in named] == ["src0_v1.png"]
    assert sorted(v["rater"] for v in named[0]["votes"]) == sorted(u.username for u in users[:2])
    assert token_client(users[0]).get(url).status_code == 403, "annotators never see the queue"


def test_reviews_are_decided_together_all_or_nothing(flagged):
    study, users = flagged
    client = token_client(study.created_by)
    url = f"/api/annotation/studies/{study.pk}/reviews/decisions/"
    first, second, third = StimulusReview.objects.filter(study=study, status="open").order_by("stimulus__name")
    accepted = client.post(url, {"review_ids": [first.pk, second.pk], "action": "accept", "note": "fine"},
                           format="json")
    assert accepted.status_code == 200 and [r["status"] for r in accepted.json()["decided"]] == ["accepted"] * 2
    assert Rating.objects.filter(stimulus__in=[first.stimulus, second.stimulus]).current().count() == 4
    refused = client.post(url, {"review_ids": [third.pk, first.pk], "action": "add_raters", "count": 1},
                          format="json")
    assert refused.status_code == 400 and "decided already" in refused.json()["problems"][0]
    third.refresh_from_db()
    assert third.status == "open" and third.extra_raters == 0, "nothing was decided"
    relabel = client.post(url, {"review_ids": [third.pk], "action": "relabel", "rater_ids": [users[0].pk]},
                          format="json")
    assert relabel.status_code == 200 and relabel.json()["decided"][0]["status"] == "relabel"
    assert client.post(url, {"review_ids": [third.pk], "action": "shrug"}, format="json").status_code == 400
    assert client.post(url, {"review_ids": [999999], "action": "accept"}, format="json").status_code == 403
