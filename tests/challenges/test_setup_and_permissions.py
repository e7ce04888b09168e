"""Creating a challenge, its phases, registration and teams: who may do what."""
import datetime as dt

import pytest

from challenges import leaderboards, selectors, services
from challenges.models import Challenge, Participant
from challenges.submission_services import submission_submit
from common.errors import DomainError, PermissionDeniedError
from moslab_science.datasets import SplitSpec
from studies import services as study_services
from studies.datasets import services as dataset_services
from studies.models import Membership

from .conftest import phase, predictions_csv, window

pytestmark = pytest.mark.django_db


def create(version, by, **extra):
    options = {"split": version.splits.get(name="official"), "slug": "c", "title": "C", "terms": "T",
               "score_spec": {"formula": "vquala2025"}, **extra}
    return services.challenge_create(version=version, by=by, **options)


def test_only_coordinators_and_researchers_of_the_study_organise(dataset_version, coordinator, make_user):
    annotator, researcher, stranger = make_user("ann"), make_user("res"), make_user("stranger")
    study_services.membership_add(study=dataset_version.study, user=annotator, role=Membership.Role.ANNOTATOR)
    study_services.membership_add(study=dataset_version.study, user=researcher, role=Membership.Role.RESEARCHER)
    for user in (annotator, stranger):
        with pytest.raises(PermissionDeniedError, match="Only the challenge's organisers"):
            create(dataset_version, user)
    challenge = create(dataset_version, researcher)
    assert selectors.is_organiser(challenge=challenge, user=coordinator)
    opens, closes = window()
    with pytest.raises(PermissionDeniedError):
        services.phase_add(challenge=challenge, kind="test", part="test", opens_at=opens, closes_at=closes,
                           max_per_day=1, max_total=1, by=annotator)
    with pytest.raises(PermissionDeniedError):
        services.challenge_update(challenge=challenge, by=stranger, is_public=True)
    researcher.is_active = False
    researcher.save()
    with pytest.raises(PermissionDeniedError):
        services.challenge_update(challenge=challenge, by=researcher, title="Mine")


def test_a_challenge_needs_a_training_part_a_valid_formula_and_terms(dataset_version, coordinator):
    version = dataset_services.dataset_split_create(
        version=dataset_version, by=coordinator, spec=SplitSpec(kind="ratio", ratios=(("fit", 8), ("hold", 2)),
                                                                seed=1, group_by=""))
    other = version.splits.exclude(name="official").get()
    with pytest.raises(DomainError) as caught:
        services.challenge_create(version=version, split=other, slug="c", title=" ", terms="",
                                  score_spec={"formula": "weighted"}, by=coordinator)
    problems = "\n".join(caught.value.problems)
    assert "has no 'train' part (its parts: fit, hold)" in problems
    assert "give the challenge a title" in problems and "write the terms" in problems
    assert "score formula: the weighted formula needs weights" in problems
    with pytest.raises(DomainError, match="belongs to another version"):
        services.challenge_create(version=dataset_version, split=other, slug="c", title="C", terms="T",
                                  score_spec={"formula": "ntire2024"}, by=coordinator)
    assert not Challenge.objects.exists()


def test_phases_score_a_hidden_part_with_positive_limits_and_ordered_dates(challenge, coordinator):
    opens, closes = window()
    with pytest.raises(DomainError) as caught:
        services.phase_add(challenge=challenge, kind="test", part="train", opens_at=closes, closes_at=opens,
                           max_per_day=0, max_total=2, by=coordinator)
    problems = "\n".join(caught.value.problems)
    assert "has a test phase already" in problems and "part 'train' cannot be scored; choose one of test, val" in \
        problems
    assert "close after it opens" in problems and "max_per_day must be a whole number of at least 1" in problems
    test = services.phase_update(phase=phase(challenge, "test"), by=coordinator, max_total=4)
    assert test.max_total == 4
    with pytest.raises(DomainError, match="Cannot change part"):
        services.phase_update(phase=test, by=coordinator, part="val")


def test_registration_takes_accepted_terms_an_active_account_and_no_organiser(challenge, coordinator, make_user):
    user, inactive = make_user("p1"), make_user("imported", is_active=False)
    with pytest.raises(DomainError, match="Accept the challenge's terms"):
        services.participant_register(challenge=challenge, user=user, accept_terms=False)
    with pytest.raises(PermissionDeniedError, match="active account"):
        services.participant_register(challenge=challenge, user=inactive, accept_terms=True)
    with pytest.raises(DomainError, match="Organisers see the hidden MOS"):
        services.participant_register(challenge=challenge, user=coordinator, accept_terms=True)
    first = services.participant_register(challenge=challenge, user=user, accept_terms=True)
    again = services.participant_register(challenge=challenge, user=user, accept_terms=True)
    assert first.pk == again.pk and Participant.objects.count() == 1 and first.terms_sha256


def test_one_team_per_user_joined_by_its_code(challenge, make_user):
    lead, mate, other = make_user("lead"), make_user("mate"), make_user("other")
    with pytest.raises(PermissionDeniedError, match="Register"):
        services.team_create(challenge=challenge, name="X", by=lead)
    for user in (lead, mate, other):
        services.participant_register(challenge=challenge, user=user, accept_terms=True)
    team = services.team_create(challenge=challenge, name="Vision Lab", by=lead)
    with pytest.raises(DomainError, match="exists already"):
        services.team_create(challenge=challenge, name="vision lab", by=other)
    with pytest.raises(DomainError, match="no team of this challenge has that join code".capitalize()):
        services.team_join(challenge=challenge, join_code="guess", by=mate)
    assert services.team_join(challenge=challenge, join_code=team.join_code, by=mate) == team
    with pytest.raises(DomainError, match="You are in team Vision Lab already"):
        services.team_create(challenge=challenge, name="Second", by=mate)
    assert selectors.team_members(team=team) == ["lead", "mate"]


def test_a_private_challenge_is_invisible_to_participants(challenge, coordinator, make_user):
    challenge = services.challenge_update(challenge=challenge, by=coordinator, is_public=False)
    user = make_user("p1")
    with pytest.raises(PermissionDeniedError):
        selectors.challenge_get_for_user(slug=challenge.slug, user=user)
    with pytest.raises(PermissionDeniedError):
        services.participant_register(challenge=challenge, user=user, accept_terms=True)
    with pytest.raises(PermissionDeniedError):
        leaderboards.leaderboard(phase=phase(challenge, "development"), user=user)
    assert selectors.challenges_for_user(user=user) == []
    assert selectors.challenges_for_user(user=coordinator) == [challenge]
    assert selectors.challenge_get_for_user(slug="iqa-2025", user=coordinator) == challenge


def test_the_formula_is_fixed_once_teams_submit(challenge, coordinator, team_users):
    services.challenge_update(challenge=challenge, by=coordinator, score_spec={"formula": "vquala2025"})
    submission_submit(phase=phase(challenge, "development"), by=team_users[0], filename="p.csv",
                      content=predictions_csv("val"))
    with pytest.raises(DomainError) as caught:
        services.challenge_update(challenge=challenge, by=coordinator, score_spec={"formula": "ntire2024"})
    assert "cannot change once teams have submitted" in caught.value.problems[0]
    changed = services.challenge_update(challenge=challenge, by=coordinator, rules="New rules",
                                        score_spec={"formula": "vquala2025"})
    assert changed.rules == "New rules"


def test_dates_decide_when_a_phase_takes_submissions(challenge, coordinator, team_users):
    dev = phase(challenge, "development")
    services.phase_update(phase=dev, by=coordinator, opens_at=dev.opens_at + dt.timedelta(hours=2))
    dev.refresh_from_db()
    with pytest.raises(DomainError, match="phase opens at"):
        submission_submit(phase=dev, by=team_users[0], filename="p.csv", content=predictions_csv("val"))
    services.phase_update(phase=dev, by=coordinator, opens_at=dev.opens_at - dt.timedelta(days=3),
                          closes_at=dev.opens_at - dt.timedelta(days=1))
    dev.refresh_from_db()
    with pytest.raises(DomainError, match="phase closed at"):
        submission_submit(phase=dev, by=team_users[0], filename="p.csv", content=predictions_csv("val"))
