"""The people page: add by username or e-mail, a CSV all or nothing, remove, who has done what; scoped to the
study's coordinators."""
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from studies import services
from studies.models import Membership

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def outsider(make_user):
    """The coordinator of another study."""
    user = make_user("elsewhere")
    services.study_create(name="Elsewhere", slug="elsewhere", created_by=user)
    return user


def csv_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("members.csv", text.encode(), content_type="text/csv")


def test_add_by_username_and_by_email(client, study, coordinator, make_user):
    make_user("alice")
    make_user("bob", email="Bob@Example.org")
    client.force_login(coordinator)
    client.post(f"/studies/{study.pk}/people/add/", {"user": "alice", "role": "annotator"})
    client.post(f"/studies/{study.pk}/people/add/", {"user": "bob@example.org", "role": "researcher"})
    assert set(Membership.objects.filter(study=study).values_list("user__username", "role")) == {
        ("coord", "coordinator"), ("alice", "annotator"), ("bob", "researcher")}


def test_an_unknown_account_is_named_in_the_message(client, study, coordinator):
    client.force_login(coordinator)
    page = client.post(f"/studies/{study.pk}/people/add/", {"user": "nobody", "role": "annotator"}, follow=True)
    assert "No active account is named or has the e-mail nobody" in page.content.decode()
    assert Membership.objects.filter(study=study).count() == 1


def test_a_csv_with_one_bad_row_adds_nobody_and_lists_every_problem(client, study, coordinator, make_user):
    make_user("alice")
    client.force_login(coordinator)
    text = "user,role\nalice,annotator\nghost,annotator\nalice,boss\n"
    page = client.post(f"/studies/{study.pk}/people/import/", {"members": csv_file(text)}, follow=True)
    body = page.content.decode()
    assert "Nobody was added" in body
    assert "line 3: No active account is named or has the e-mail ghost" in body
    assert "line 4: role boss must be one of" in body
    assert Membership.objects.filter(study=study).count() == 1


def test_a_good_csv_adds_everyone_once(client, study, coordinator, make_user):
    make_user("alice")
    make_user("bob", email="bob@example.org")
    client.force_login(coordinator)
    text = "user,role\nalice,annotator\nbob@example.org,annotator\nalice,annotator\n"
    for _ in range(2):
        client.post(f"/studies/{study.pk}/people/import/", {"members": csv_file(text)})
    assert Membership.objects.filter(study=study, role=Role.ANNOTATOR).count() == 2


def test_a_csv_without_its_columns_says_which(client, study, coordinator):
    client.force_login(coordinator)
    page = client.post(f"/studies/{study.pk}/people/import/", {"members": csv_file("name\nalice\n")}, follow=True)
    assert "missing column(s) user, role" in page.content.decode()


def test_remove_a_role_but_never_the_last_coordinator(client, study, coordinator, make_user):
    alice = make_user("alice")
    membership = services.membership_add(study=study, user=alice, role=Role.ANNOTATOR)
    client.force_login(coordinator)
    client.post(f"/studies/{study.pk}/people/{membership.pk}/remove/")
    assert not Membership.objects.filter(pk=membership.pk).exists()
    own = Membership.objects.get(study=study, user=coordinator)
    page = client.post(f"/studies/{study.pk}/people/{own.pk}/remove/", follow=True)
    assert "only coordinator" in page.content.decode()
    assert Membership.objects.filter(pk=own.pk).exists()


def test_the_page_shows_who_has_done_what(client, open_study, coordinator, annotators):
    stimuli = list(open_study.stimuli.all())
    for stimulus in stimuli[:3]:
        services.rating_record(study=open_study, stimulus=stimulus, rater=annotators[0], score=4,
                               client_id=uuid.uuid4())
    client.force_login(coordinator)
    body = client.get(f"/studies/{open_study.pk}/people/").content.decode()
    row = body[body.index('data-user="ann0"'):]
    row = row[:row.index("</tr>")]
    assert "<td>3</td>" in row and "3 of 4" in row
    other = body[body.index('data-user="ann1"'):]
    assert "0 of 4" in other[:other.index("</tr>")]


@pytest.mark.parametrize("path,method", [
    ("people/", "get"), ("people/add/", "post"), ("people/import/", "post"), ("invitations/", "post"),
    ("stimuli/upload/", "get"), ("status/", "post"),
])
def test_annotators_and_other_coordinators_get_404(client, open_study, annotators, outsider, path, method):
    for user in (annotators[0], outsider):
        client.force_login(user)
        answer = getattr(client, method)(f"/studies/{open_study.pk}/{path}", {"user": "ann1", "role": "coordinator",
                                                                              "status": "closed"})
        assert answer.status_code == 404, (user, path)
    assert not Membership.objects.filter(study=open_study, role=Role.COORDINATOR).exclude(
        user__username="coord").exists()
    open_study.refresh_from_db()
    assert open_study.status == "open"
