"""Invitation links: made by a coordinator, shown once, stored hashed; opening one signs up (or in) and joins;
expired, revoked and used-up links say so; the API lists, makes and revokes them for coordinators only."""
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from studies import services
from studies.models import Invitation, Membership
from studies.people import services as people_services
from tests.conftest import token_client

pytestmark = pytest.mark.django_db
Role = Membership.Role


def make_link(client, study, **fields) -> str:
    page = client.post(f"/studies/{study.pk}/invitations/", {"role": "annotator", "days": 14, **fields}, follow=True)
    match = re.search(r'id="invitation-link">(http[^<]+)<', page.content.decode())
    assert match, page.content.decode()[:2000]
    return match.group(1)


def test_the_link_is_shown_once_and_only_its_hash_is_kept(client, study, coordinator):
    client.force_login(coordinator)
    link = make_link(client, study, max_uses=2, note="lab panel")
    secret = link.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get(study=study)
    assert secret not in (invitation.digest, invitation.prefix) and invitation.prefix == secret[:6]
    assert (invitation.max_uses, invitation.note, invitation.role) == (2, "lab panel", "annotator")
    assert secret not in client.get(f"/studies/{study.pk}/people/").content.decode()


def test_signing_up_through_the_link_joins_the_study(client, study, coordinator):
    client.force_login(coordinator)
    link = make_link(client, study)
    client.logout()
    path = link.split("testserver", 1)[1]
    assert "Make an account" in client.get(path).content.decode()
    answer = client.post(path, {"username": "newcomer", "password1": "a-long-passphrase-1",
                                "password2": "a-long-passphrase-1"})
    assert answer.status_code == 302
    newcomer = get_user_model().objects.get(username="newcomer")
    assert Membership.objects.filter(study=study, user=newcomer, role=Role.ANNOTATOR).exists()
    assert "Test study" in client.get("/").content.decode()  # signed in as the newcomer
    assert Invitation.objects.get(study=study).uses == 1


def test_a_bad_signup_says_why_and_joins_nobody(client, study, coordinator):
    secret = people_services.invitation_create(study=study, role=Role.ANNOTATOR, by=coordinator).secret
    answer = client.post(f"/join/{secret}/", {"username": "x", "password1": "a", "password2": "b"})
    assert answer.status_code == 400
    assert "password fields didn" in answer.content.decode()
    assert Membership.objects.filter(study=study).count() == 1


def test_a_signed_in_person_joins_with_one_press_and_again_changes_nothing(client, study, coordinator, make_user):
    made = people_services.invitation_create(study=study, role=Role.RESEARCHER, by=coordinator, max_uses=1)
    client.force_login(make_user("reader"))
    for _ in range(2):
        client.post(f"/join/{made.secret}/")
    made.invitation.refresh_from_db()
    assert made.invitation.uses == 1
    assert Membership.objects.filter(study=study, user__username="reader", role=Role.RESEARCHER).count() == 1


@pytest.mark.parametrize("spoil,words", [
    ({"revoked_at": timezone.now()}, "withdrawn"),
    ({"expires_at": timezone.now() - timedelta(minutes=1)}, "expired on"),
    ({"uses": 1}, "used by as many people as it allows (1)"),
])
def test_expired_revoked_and_full_links_say_so(client, study, coordinator, make_user, spoil, words):
    made = people_services.invitation_create(study=study, role=Role.ANNOTATOR, by=coordinator, max_uses=1)
    Invitation.objects.filter(pk=made.invitation.pk).update(**spoil)
    assert words in client.get(f"/join/{made.secret}/").content.decode()
    client.force_login(make_user("late"))
    answer = client.post(f"/join/{made.secret}/")
    assert answer.status_code == 410 and words in answer.content.decode()
    assert not Membership.objects.filter(study=study, user__username="late").exists()


def test_an_unknown_link_is_a_404(client):
    assert client.get("/join/not-a-real-secret/").status_code == 404


def test_bad_link_settings_are_refused_in_words(study, coordinator):
    with pytest.raises(services.DomainError, match="a link lives 1 to 90 days"):
        people_services.invitation_create(study=study, role=Role.ANNOTATOR, by=coordinator, days=400)
    with pytest.raises(services.DomainError, match="role boss must be one of"):
        people_services.invitation_create(study=study, role="boss", by=coordinator)


def test_revoking_on_the_page_stops_the_link(client, study, coordinator, make_user):
    made = people_services.invitation_create(study=study, role=Role.ANNOTATOR, by=coordinator)
    client.force_login(coordinator)
    client.post(f"/studies/{study.pk}/invitations/{made.invitation.pk}/revoke/")
    client.force_login(make_user("late"))
    assert client.post(f"/join/{made.secret}/").status_code == 410


def test_the_api_makes_lists_and_revokes_links(study, coordinator, make_user):
    api = token_client(coordinator)
    made = api.post(f"/api/studies/{study.pk}/invitations/", {"role": "annotator", "max_uses": 3}, format="json")
    assert made.status_code == 201, made.json()
    link = made.json()["link"]
    assert "/join/" in link and made.json()["state"] == "active"
    listed = api.get(f"/api/studies/{study.pk}/invitations/").json()
    assert listed["count"] == 1 and "link" not in listed["results"][0]
    revoked = api.delete(f"/api/studies/{study.pk}/invitations/{made.json()['id']}/")
    assert revoked.json()["state"] == "revoked"
    assert api.get(f"/api/studies/{study.pk}/invitations/?state=active").json()["count"] == 0
    assert api.get(f"/api/studies/{study.pk}/invitations/?state=sideways").status_code == 400
    bad = api.post(f"/api/studies/{study.pk}/invitations/", {"role": "annotator", "days": 0}, format="json")
    assert bad.status_code == 400 and "days" in bad.json()


def test_the_api_refuses_another_studys_coordinator(study, coordinator, make_user):
    outsider = make_user("elsewhere")
    services.study_create(name="Elsewhere", slug="elsewhere", created_by=outsider)
    people_services.invitation_create(study=study, role=Role.ANNOTATOR, by=coordinator)
    api = token_client(outsider)
    assert api.get(f"/api/studies/{study.pk}/invitations/").status_code == 403
    assert api.post(f"/api/studies/{study.pk}/invitations/", {"role": "coordinator"}, format="json").status_code == 403
    assert Invitation.objects.filter(study=study).count() == 1
