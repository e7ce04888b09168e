"""The crowd wing through its services and pages: self-enrolment, the cap, bad links, the environment gate,
the return link, and the coordinator's code list (verify, decide, CSV), each scoped to the study's coordinators."""
import csv
import io
import uuid

import pytest
from django.urls import reverse

from annotation.crowd import services
from annotation.crowd.models import CrowdLink, CrowdParticipant
from annotation.models import Enrolment, RatingTask
from annotation.voting_services import rating_submit
from common.errors import DomainError
from studies import services as study_services
from studies.models import Membership, Rating, Study
from tests.annotation.helpers import protocol_study

pytestmark = pytest.mark.django_db
PROLIFIC = "PROLIFIC_PID, STUDY_ID, SESSION_ID"
FITS = {"user_agent": "Chrome", "screen_width": 1920, "screen_height": 1080, "window_width": 1600,
        "window_height": 900, "device_pixel_ratio": 1, "zoom": 1}


@pytest.fixture
def crowd(coordinator, make_user, tmp_path):
    study, _ = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "img", sources=2,
                              per_source=2, annotators=0, gold=1, size=(300, 200), raters_per_stimulus=1,
                              config={"gold_every": 2, "repeats_per_block": 1, "block_size": 2, "break_seconds": 0})
    link = services.crowd_link_update(study=study, enabled=True, parameters=PROLIFIC,
                                      completion_url="https://example.test/complete?cc={code}", participant_cap=2)
    return study, link


def join(client, link, **ids):
    return client.get(reverse("annotation:crowd-join", args=[link.token]), ids)


def test_the_same_participant_id_resumes_one_account_and_enrolment(client, crowd):
    study, link = crowd
    first = join(client, link, PROLIFIC_PID="p1", STUDY_ID="st", SESSION_ID="s1")
    assert first.status_code == 302 and first["Location"] == reverse("annotation:crowd-check", args=[study.pk])
    participant = CrowdParticipant.objects.get()
    assert participant.platform_ids == {"PROLIFIC_PID": "p1", "STUDY_ID": "st", "SESSION_ID": "s1"}
    assert participant.user.username.startswith(f"crowd-{study.pk}-") and not participant.user.has_usable_password()
    assert client.session["_auth_user_id"] == str(participant.user_id)
    other = type(client)()
    again = join(other, link, PROLIFIC_PID="p1", STUDY_ID="st", SESSION_ID="s2")
    assert again.status_code == 302 and other.session["_auth_user_id"] == str(participant.user_id)
    assert CrowdParticipant.objects.count() == 1
    assert Membership.objects.filter(study=study, role="annotator").count() == 1
    assert Enrolment.objects.filter(study=study).count() == 1


def test_the_cap_refuses_new_participants_but_lets_enrolled_ones_back(client, crowd):
    study, link = crowd
    for pid in ("p1", "p2"):
        assert join(type(client)(), link, PROLIFIC_PID=pid).status_code == 302
    full = join(client, link, PROLIFIC_PID="p3")
    assert full.status_code == 400 and b"all the participants it needs" in full.content
    assert join(client, link, PROLIFIC_PID="p2").status_code == 302
    assert CrowdParticipant.objects.count() == 2 and "_auth_user_id" in client.session


def test_bad_or_closed_links_say_why_and_store_nothing(client, crowd):
    study, link = crowd
    missing = join(client, link, STUDY_ID="st")
    assert missing.status_code == 400 and b"lacks PROLIFIC_PID" in missing.content
    odd = join(client, link, PROLIFIC_PID="a b;drop")
    assert odd.status_code == 400 and b"PROLIFIC_PID must be" in odd.content
    unknown = client.get(reverse("annotation:crowd-join", args=["no-such-token"]), {"PROLIFIC_PID": "p"})
    assert unknown.status_code == 404
    Study.objects.filter(pk=study.pk).update(status=Study.Status.CLOSED)
    closed = join(client, link, PROLIFIC_PID="p1")
    assert closed.status_code == 400 and b"not taking participants" in closed.content
    CrowdLink.objects.filter(pk=link.pk).update(enabled=False)
    assert join(client, link, PROLIFIC_PID="p1").status_code == 404
    assert not CrowdParticipant.objects.exists() and "_auth_user_id" not in client.session


def test_link_settings_refuse_bad_input_and_keep_the_old_settings(client, crowd, coordinator):
    study, link = crowd
    client.force_login(coordinator)
    url = reverse("annotation:crowd-link", args=[study.pk])
    for body, words in (({"parameters": "1bad", "enabled": "on"}, "letters, digits"),
                        ({"parameters": "workerId", "completion_url": "ftp://x/{code}"}, "https://"),
                        ({"parameters": "workerId", "participant_cap": "0"}, "Participant cap")):
        page = client.post(url, body, follow=True)
        assert words in page.content.decode()
    link.refresh_from_db()
    assert link.parameters == ["PROLIFIC_PID", "STUDY_ID", "SESSION_ID"] and link.participant_cap == 2
    client.post(url, {"parameters": "workerId assignmentId hitId", "enabled": "on"})
    link.refresh_from_db()
    assert link.parameters == ["workerId", "assignmentId", "hitId"] and link.participant_cap is None
    assert link.completion_url == ""


def test_rating_waits_for_a_passed_environment_check(client, crowd):
    study, link = crowd
    join(client, link, PROLIFIC_PID="p1")
    rate = reverse("annotation:rate", args=[study.pk])
    check = reverse("annotation:crowd-check", args=[study.pk])
    assert client.get(rate)["Location"] == check
    assert b"300 x 200" in client.get(check).content
    small = client.post(check, {**FITS, "screen_width": 280, "window_width": 280})
    assert small.status_code == 200 and b"Your screen shows 280 x 1080 pixels" in small.content
    participant = CrowdParticipant.objects.get()
    assert participant.environment["screen"] == [280, 1080] and not participant.environment_ok
    assert client.get(rate)["Location"] == check
    assert b"allow JavaScript" in client.post(check, {"zoom": "x"}).content
    assert client.post(check, FITS)["Location"] == rate
    assert client.get(rate).status_code == 200


def test_the_check_page_is_only_for_the_links_participants(client, crowd, make_user):
    study, _ = crowd
    annotator = make_user("invited")
    Membership.objects.create(study=study, user=annotator, role="annotator")
    client.force_login(annotator)
    assert client.get(reverse("annotation:crowd-check", args=[study.pk])).status_code == 404
    rate = client.get(reverse("annotation:rate", args=[study.pk]))
    assert rate.status_code == 200, "invited annotators are not gated"


def finish(client, study, link, pid):
    join(client, link, PROLIFIC_PID=pid, STUDY_ID="st", SESSION_ID="s")
    client.post(reverse("annotation:crowd-check", args=[study.pk]), FITS)
    client.post(reverse("annotation:start", args=[study.pk]))
    user = CrowdParticipant.objects.get(participant_id=pid).user
    rate = reverse("annotation:rate", args=[study.pk])
    while client.get(rate).templates[0].name != "annotation/done.html":  # each visit claims the next block
        for task in RatingTask.objects.filter(study=study, annotator=user, status="pending").order_by("position"):
            rating_submit(task=task, user=user, score=4, client_id=uuid.uuid4(), response_time_ms=3000)
    return Enrolment.objects.get(study=study, user=user)


def test_done_page_returns_to_the_platform_with_the_code_and_the_coordinator_verifies_it(client, crowd, coordinator):
    study, link = crowd
    enrolment = finish(client, study, link, "p1")
    done = client.get(reverse("annotation:rate", args=[study.pk])).content.decode()
    assert enrolment.completion_code and f"https://example.test/complete?cc={enrolment.completion_code}" in done
    client.force_login(coordinator)
    codes = reverse("annotation:crowd-codes", args=[study.pk])
    page = client.get(codes, {"code": enrolment.completion_code.lower()}).content.decode()
    assert "belongs to <strong>p1</strong> (Done)" in page
    assert "No participant of this study holds" in client.get(codes, {"code": "NOPE"}).content.decode()
    participant = CrowdParticipant.objects.get()
    client.post(reverse("annotation:crowd-decide", args=[study.pk, participant.pk]), {"decision": "approved"})
    participant.refresh_from_db()
    assert participant.decision == "approved" and participant.decided_by == coordinator
    assert b"Choose one of" in client.post(reverse("annotation:crowd-decide", args=[study.pk, participant.pk]),
                                           {"decision": "pay-double"}, follow=True).content


def test_csv_lists_codes_and_quality_with_formula_cells_defused(client, crowd, coordinator):
    study, link = crowd
    enrolment = finish(client, study, link, "-cmd")
    computation = study_services.mos_computation_start(study=study, by=coordinator, method="mean")
    study_services.mos_computation_run(computation_id=computation.pk)
    client.force_login(coordinator)
    response = client.get(reverse("annotation:crowd-codes-csv", args=[study.pk]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1 and rows[0]["participant_id"] == "'-cmd"
    assert rows[0]["completion_code"] == enrolment.completion_code and rows[0]["status"] == "Done"
    assert rows[0]["gold_checked"] == "1" and rows[0]["gold_accuracy"] == "1.0", "gold reference 4, voted 4"
    assert int(rows[0]["repeat_pairs"]) >= 1 and rows[0]["repeat_mean_abs_diff"] == "0.0", "repeats voted 4 again"
    votes = Rating.objects.filter(rater=enrolment.user).count()
    assert float(rows[0]["rating_minutes"]) == round(votes * 3 / 60, 2), "3 s per vote"
    assert float(rows[0]["elapsed_minutes"]) >= 0
    assert rows[0]["screening"] == "kept", "the latest MOS computation's report on the participant"
    assert rows[0]["environment_ok"] == "True" and rows[0]["screen_device_px"] == "1920x1080"


def test_code_list_is_for_this_studys_coordinators_only(client, crowd, make_user, coordinator, tmp_path):
    study, link = crowd
    join(client, link, PROLIFIC_PID="p1")
    participant_pages = [reverse(name, args=[study.pk]) for name in ("annotation:crowd-codes",
                                                                     "annotation:crowd-codes-csv")]
    assert all(client.get(url).status_code == 404 for url in participant_pages), "participants see no codes"
    other_coordinator = make_user("other-coord")
    protocol_study(coordinator=other_coordinator, make_user=make_user, folder=tmp_path / "o", slug="other",
                   annotators=0)
    researcher = make_user("researcher")
    Membership.objects.create(study=study, user=researcher, role="researcher")
    participant = CrowdParticipant.objects.get()
    for outsider in (other_coordinator, researcher):
        client.force_login(outsider)
        assert all(client.get(url).status_code == 404 for url in participant_pages)
        decide = reverse("annotation:crowd-decide", args=[study.pk, participant.pk])
        assert client.post(decide, {"decision": "rejected"}).status_code == 404
        assert client.post(reverse("annotation:crowd-link", args=[study.pk]),
                           {"parameters": "x", "enabled": "on"}).status_code == 404
    participant.refresh_from_db()
    assert participant.decision == "pending"
    assert CrowdLink.objects.get(study=study).parameters[0] == "PROLIFIC_PID"
    client.force_login(coordinator)
    assert client.get(participant_pages[0]).status_code == 200


def test_a_participant_of_another_study_cannot_be_decided_here(client, crowd, coordinator, make_user, tmp_path):
    study, link = crowd
    other, _ = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "o", slug="other",
                              annotators=0)
    other_link = services.crowd_link_update(study=other, enabled=True, parameters="PROLIFIC_PID")
    join(client, other_link, PROLIFIC_PID="p9")
    stranger = CrowdParticipant.objects.get(study=other)
    client.force_login(coordinator)
    assert client.post(reverse("annotation:crowd-decide", args=[study.pk, stranger.pk]),
                       {"decision": "approved"}).status_code == 404
    assert services.crowd_participant_enrol(token=link.token, query={"PROLIFIC_PID": "p9"}).study_id == study.pk, \
        "the same platform id in another study is another participant"
    with pytest.raises(DomainError):
        services.crowd_link_update(study=study, enabled=True, parameters=PROLIFIC, participant_cap=0)


def queue(client, study):
    return client.get(f"/api/annotation/studies/{study.pk}/queue/")


def test_the_api_hands_no_work_to_a_participant_without_a_passed_screen_check(client, crowd):
    study, link = crowd
    join(client, link, PROLIFIC_PID="p1")
    started = client.post(reverse("annotation:start", args=[study.pk]), follow=True)
    assert b"Pass the screen check" in started.content
    assert queue(client, study).json()["phase"] == "instructions" and not RatingTask.objects.exists()
    other = RatingTask.objects.create(study=study, stimulus=study.stimuli.first(), annotator=study.created_by,
                                      kind="rating", slot=1, position=1)
    vote = client.post(f"/api/annotation/studies/{study.pk}/ratings/",
                       {"task_id": other.pk, "score": 4, "client_id": str(uuid.uuid4())},
                       content_type="application/json")
    assert vote.status_code == 403 and not Rating.objects.filter(rater__crowd_participant__isnull=False).exists()
    client.post(reverse("annotation:crowd-check", args=[study.pk]), FITS)
    client.post(reverse("annotation:start", args=[study.pk]))
    assert queue(client, study).json()["tasks"], "once the check passed, the participant gets images"


def test_a_participant_starts_at_the_instructions_even_without_a_protocol(client, crowd):
    study, link = crowd
    study.protocols.all().delete()
    join(client, link, PROLIFIC_PID="p1")
    assert Enrolment.objects.get(study=study).phase == "instructions"
    assert queue(client, study).json()["phase"] == "instructions" and not RatingTask.objects.exists()


def test_a_crowd_account_cannot_create_an_api_token(client, crowd):
    _, link = crowd
    join(client, link, PROLIFIC_PID="p1")
    page = client.post(reverse("accounts:tokens"), {"name": "script", "days": "30"})
    assert page.status_code == 200 and b"cannot create API tokens" in page.content
    assert not CrowdParticipant.objects.get().user.api_tokens.exists()
