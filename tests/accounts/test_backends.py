"""The signed-in user, read per request by accounts.backends.ModelBackend: the same user and checks as Django's."""
import pytest
from django.conf import settings
from django.contrib.auth import backends as django_backends
from django.core.cache import caches
from django.urls import reverse

from accounts.backends import ModelBackend

pytestmark = pytest.mark.django_db


def test_the_user_read_is_the_one_the_orm_reads(make_user):
    user = make_user("ann", email="ann@example.org", first_name="Ann", is_staff=True)
    read = ModelBackend().get_user(str(user.pk))  # the session keeps the id as text
    expected = django_backends.ModelBackend().get_user(user.pk)
    assert read == expected and read.get_session_auth_hash() == expected.get_session_auth_hash()
    fields = [field.attname for field in type(user)._meta.concrete_fields]
    assert [getattr(read, name) for name in fields] == [getattr(expected, name) for name in fields]
    assert read.check_password("ann-pw") and read.is_authenticated


def test_an_inactive_or_unknown_user_is_nobody(make_user):
    user = make_user("gone", is_active=False)
    assert ModelBackend().get_user(user.pk) is None
    assert ModelBackend().get_user(user.pk + 1000) is None


def test_a_session_follows_password_changes_and_deactivation(client, make_user, coordinator):
    user = make_user("rater")
    client.force_login(user)
    home = reverse("studies:home")
    assert client.get(home).status_code == 200
    user.set_password("another-password-1")
    user.save()
    assert client.get(home).status_code == 302, "a password change signs the old session out"
    client.force_login(user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert client.get(home).status_code == 302, "a deactivated user is signed out at the next request"


@pytest.mark.skipif(not settings.CACHE_URL, reason="the Redis cache needs CACHE_URL (redis://...)")
def test_the_redis_cache_keeps_one_client_per_pool():
    cache = caches["default"]
    assert cache._cache.get_client() is cache._cache.get_client()
    cache.set("backends-test", {"a": 1}, 30)
    assert cache.get("backends-test") == {"a": 1}
    cache.delete("backends-test")
