"""A rated study with every role, used by the security tests: coordinator, researcher, annotator, outsider."""
import pytest
from django.test import Client

from tests.challenges.conftest import challenge, dataset_version, team_users  # noqa: F401  (fixtures used below)
from tests.security.studies import staffed_rated_study


@pytest.fixture
def rated(coordinator, make_user, tmp_path):
    """12 stimuli with MOS, a coordinator, a researcher, an annotator with assigned tasks, a dataset version."""
    study, _ = staffed_rated_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "rated")
    return study


@pytest.fixture
def client_for(django_user_model):
    def logged_in(username: str) -> Client:
        client = Client()
        client.force_login(django_user_model.objects.get(username=username))
        return client

    return logged_in


@pytest.fixture
def challenge_world(challenge, team_users):  # noqa: F811  (the fixtures imported above)
    """The challenge fixtures of tests/challenges: an imported dataset, a public challenge, two teams."""
    return challenge

