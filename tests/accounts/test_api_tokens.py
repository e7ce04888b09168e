"""Personal API tokens: shown once and stored hashed, accepted as Bearer by the whole API with the same scoping
as a session, refused once expired or revoked, throttled per token; the schema needs a signed-in caller."""
import hashlib
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.authentication import TokenRateThrottle
from accounts.models import ApiToken
from accounts.services import api_token_create
from studies import services
from studies.models import Membership
from tests.conftest import write_image

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def two_studies(make_user, tmp_path):
    """Two studies with a dataset version each, and one coordinator of each."""
    made = {}
    for name in ("alpha", "beta"):
        owner = make_user(f"{name}-coord")
        study = services.study_create(name=name, slug=name, created_by=owner, raters_per_stimulus=1)
        services.stimuli_import(study=study, source=write_image(tmp_path / name / "x.png", seed=len(name)).parent)
        made[name] = (study, owner)
    return made


def study_routes() -> list[str]:
    """Every GET route of the API whose only parameter is the study id."""
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and hasattr(getattr(pattern.callback, "cls", None), "get"):
                yield prefix + str(pattern.pattern)
    return sorted({route for route in walk(get_resolver().url_patterns) if route.startswith("api/")
                   and route.count("<") == 1 and "<int:study_id>" in route})


def test_a_token_is_shown_once_and_stored_only_as_a_hash(coordinator):
    made = api_token_create(user=coordinator, name="cluster", days=30)
    stored = ApiToken.objects.get()
    assert made.secret.startswith("mlt_") and made.secret not in {stored.digest, stored.prefix, stored.name}
    assert stored.digest == hashlib.sha256(made.secret.encode()).hexdigest()
    assert stored.expires_at - timezone.now() > timedelta(days=29)


def test_the_whole_api_takes_a_bearer_token_with_the_sessions_scoping(two_studies):
    (alpha, alpha_coord), (beta, _) = two_studies["alpha"], two_studies["beta"]
    for role in (Membership.Role.ANNOTATOR, Membership.Role.RESEARCHER):  # every route of alpha is theirs to read
        Membership.objects.get_or_create(study=alpha, user=alpha_coord, role=role)
    secret = api_token_create(user=alpha_coord, name="script", days=None).secret
    client = bearer(secret)
    assert [study["slug"] for study in client.get("/api/studies/").json()["results"]] == ["alpha"]
    routes = study_routes()
    assert len(routes) >= 3, routes
    for route in routes:
        assert client.get("/" + route.replace("<int:study_id>", str(alpha.pk))).status_code == 200, route
        assert client.get("/" + route.replace("<int:study_id>", str(beta.pk))).status_code in (403, 404), route
    no_csrf = client.post(f"/api/datasets/studies/{beta.pk}/versions/", {}, format="json")
    assert no_csrf.status_code in (403, 404), "a token POST needs no CSRF token, and is still scoped"


def refused(secret: str) -> bool:
    response = bearer(secret).get("/api/studies/")
    return response.status_code in (401, 403) and "unknown, expired or revoked" in response.json()["detail"]


def test_expired_revoked_unknown_and_inactive_tokens_are_refused(coordinator, client):
    live = api_token_create(user=coordinator, name="live", days=1)
    assert bearer(live.secret).get("/api/studies/").status_code == 200
    ApiToken.objects.filter(pk=live.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert refused(live.secret)
    revoked = api_token_create(user=coordinator, name="revoked", days=None)
    client.force_login(coordinator)
    assert client.post(f"/account/tokens/{revoked.token.pk}/revoke/").status_code == 302
    assert refused(revoked.secret)
    assert refused("mlt_" + "x" * 43)
    inactive = api_token_create(user=coordinator, name="inactive", days=None)
    coordinator.is_active = False
    coordinator.save()
    assert refused(inactive.secret)


def test_requests_are_throttled_per_token(coordinator, monkeypatch):
    cache.clear()
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/min"})
    first, second = (api_token_create(user=coordinator, name=name, days=None).secret for name in ("a", "b"))
    assert [bearer(first).get("/api/studies/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert bearer(second).get("/api/studies/").status_code == 200, "another token has its own budget"
    cache.clear()


def test_the_schema_needs_a_signed_in_caller_and_declares_json_bodies(coordinator):
    assert APIClient().get("/api/schema/").status_code in (401, 403)
    secret = api_token_create(user=coordinator, name="schema", days=None).secret
    response = bearer(secret).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "A personal API token from /account/tokens/."}
    body_types = {(path, method): sorted(operation["requestBody"]["content"])
                  for path, item in schema["paths"].items() for method, operation in item.items()
                  if isinstance(operation, dict) and "requestBody" in operation}
    assert body_types and all(types in (["application/json"], ["multipart/form-data"])
                              for types in body_types.values()), body_types


def test_the_account_page_makes_shows_once_and_revokes(coordinator, client, make_user):
    client.force_login(coordinator)
    made = client.post("/account/tokens/", {"name": "laptop", "days": "30"})
    secret = made.context["secret"]
    assert made.status_code == 200 and secret in made.content.decode()
    listed = client.get("/account/tokens/").content.decode()
    assert "laptop" in listed and secret not in listed and secret[:12] in listed
    again = client.post("/account/tokens/", {"name": "laptop", "days": "30"})
    assert "already have a token named" in again.content.decode() and ApiToken.objects.count() == 1
    token = ApiToken.objects.get()
    client.force_login(make_user("someone-else"))
    client.post(f"/account/tokens/{token.pk}/revoke/")
    assert ApiToken.objects.get().revoked_at is None, "another user's token id revokes nothing"
    client.force_login(coordinator)
    client.post(f"/account/tokens/{token.pk}/revoke/")
    assert ApiToken.objects.get().revoked_at is not None
    assert "revoked" in client.get("/account/tokens/").content.decode()
