"""Login and password-reset throttling: N failures lock the door with a clear message, never a 500."""
import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


def log_in(client: Client, username: str, password: str, path: str = "/accounts/login/"):
    return client.post(path, {"username": username, "password": password})


def test_five_failed_logins_lock_the_account_for_this_address(make_user, settings):
    make_user("alice")
    client = Client()
    for _ in range(settings.MOSLAB_LOGIN_FAILURES):
        refused = log_in(client, "alice", "wrong")
        assert refused.status_code == 200 and b"did not match" in refused.content
    locked = log_in(client, "alice", "alice-pw")
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content and b"15 minutes" in locked.content
    assert "_auth_user_id" not in client.session, "the right password does not open a locked door"


def test_the_lock_is_per_account_and_address(make_user, settings):
    make_user("alice")
    make_user("bob")
    for _ in range(settings.MOSLAB_LOGIN_FAILURES):
        log_in(Client(), "alice", "wrong")
    assert log_in(Client(), "bob", "bob-pw").status_code == 302, "another account from the same address"
    assert log_in(Client(REMOTE_ADDR="10.1.2.3"), "alice", "alice-pw").status_code == 302, "another address"


def test_a_successful_login_resets_the_count(make_user, settings):
    make_user("alice")
    for _ in range(settings.MOSLAB_LOGIN_FAILURES - 1):
        log_in(Client(), "alice", "wrong")
    assert log_in(Client(), "alice", "alice-pw").status_code == 302
    for _ in range(settings.MOSLAB_LOGIN_FAILURES - 1):
        log_in(Client(), "alice", "wrong")
    assert log_in(Client(), "alice", "alice-pw").status_code == 302


def test_one_address_trying_many_accounts_is_locked(make_user, settings):
    settings.MOSLAB_LOGIN_FAILURES_PER_ADDRESS = 6
    make_user("zed")
    for number in range(6):
        log_in(Client(), f"guess{number}", "wrong")
    assert log_in(Client(), "zed", "zed-pw").status_code == 429


def test_the_admin_login_is_throttled_too(make_user, settings):
    make_user("boss", is_staff=True, is_superuser=True)
    for _ in range(settings.MOSLAB_LOGIN_FAILURES):
        log_in(Client(), "boss", "wrong", path="/admin/login/")
    locked = log_in(Client(), "boss", "boss-pw", path="/admin/login/")
    assert locked.status_code == 200 and b"Too many failed logins" in locked.content
    assert "_auth_user_id" not in locked.wsgi_request.session


def test_password_reset_requests_are_limited(make_user, settings):
    make_user("alice", email="alice@example.org")
    client = Client()
    for _ in range(settings.MOSLAB_PASSWORD_RESETS):
        assert client.post("/accounts/password_reset/", {"email": "alice@example.org"}).status_code == 302
    refused = client.post("/accounts/password_reset/", {"email": "alice@example.org"})
    assert refused.status_code == 429 and b"Too many password reset requests" in refused.content
    assert len(mail.outbox) == settings.MOSLAB_PASSWORD_RESETS


def test_the_address_behind_a_proxy_is_read_from_the_configured_header(make_user, settings):
    settings.MOSLAB_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    make_user("alice")
    for _ in range(settings.MOSLAB_LOGIN_FAILURES):
        log_in(Client(HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.9"), "alice", "wrong")
    assert log_in(Client(HTTP_X_FORWARDED_FOR="203.0.113.9"), "alice", "alice-pw").status_code == 429
    assert log_in(Client(HTTP_X_FORWARDED_FOR="198.51.100.7"), "alice", "alice-pw").status_code == 302
