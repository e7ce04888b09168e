"""No 5xx on bad input: every URL pattern and every API operation, as every role, with junk.

Two passes. A sweep sends each URL pattern a GET and a junk POST as the role that owns it, once with
real ids and once with ids too large for any column. Then hypothesis draws a few hundred requests: a
URL, a role, a method, and a body of junk values (wrong types, huge and non-finite numbers, nested
structures, strings of control characters, files that are not what they claim) for the field names
the API schema declares and the forms on the pages carry. Any answer of 500 or more fails the test,
with every failing request listed.
"""
import io
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotation.models import Enrolment
from studies.models import DatasetExport, DatasetSplit, DatasetVersion, MosComputation, Stimulus
from tests.conftest import write_image

pytestmark = pytest.mark.django_db
HUGE = 99999999999999999999
ROLES = ["coord", "researcher", "annotator", "outsider", "boss", None]
JUNK = [True, False, None, "5", "", "-1", "1e400", "NaN", "Infinity", HUGE, -HUGE, 2**31, 2**63, "2147483648",
        "9223372036854775808", 1e308, -0.0, 3.5, [], {},
        [[[[[]]]]], {"a": {"b": {"c": [1, {"d": None}]}}}, "x" * 3000, "\x00\x1b[31m\u202e", "=cmd|' /C calc'!A0",
        "../../etc/passwd", "<script>alert(1)</script>", "2024-13-45T99:99", "train=7,val=-1", "a,b,,c"]


def url_patterns(resolver=None, prefix=""):
    """(route, converters) of every URL pattern outside the admin."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if not route.startswith("admin/"):
                yield from url_patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


def fill(route: str, values: dict[str, object]) -> str:
    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", lambda match: str(values.get(match.group(2), 1)), route)


@pytest.fixture
def world(rated, challenge_world, coordinator, make_user, tmp_path):
    """Real ids for every kind of path parameter, logged-in clients for every role."""
    cache.clear()
    make_user("outsider")
    make_user("boss", is_staff=True, is_superuser=True)
    version = DatasetVersion.objects.filter(study=rated).first()
    DatasetExport.objects.create(version=version, format="table_csv", requested_by=coordinator)
    enrolment = Enrolment.objects.filter(study=rated).first()
    phase = challenge_world.phases.first()
    values = {
        "study_id": rated.pk, "version_id": version.pk, "other_id": version.pk,
        "split_id": getattr(DatasetSplit.objects.filter(version__study=rated).first(), "pk", 1),
        "export_id": DatasetExport.objects.filter(version=version).first().pk,
        "computation_id": MosComputation.objects.filter(study=rated).first().pk,
        "stimulus_id": Stimulus.objects.filter(study=rated).first().pk,
        "enrolment_id": getattr(enrolment, "pk", 1), "slug": challenge_world.slug, "phase_id": phase.pk,
        "key": "x-000000000000", "chart": "scatter", "uidb64": "MQ", "token": "abc-def",
    }
    users = {user.username: user for user in get_user_model().objects.all()}
    png = write_image(tmp_path / "junk.png").read_bytes()
    return {"values": values, "users": users, "routes": sorted(set(url_patterns())), "png": png,
            "fields": form_field_names(client_as(users["coord"]), values) | api_field_names()}


def client_as(user) -> Client:
    """A fresh client per request: a junk POST to the logout or password pages must not end later sessions."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def form_field_names(client: Client, values: dict) -> set[str]:
    """The names of the inputs the HTML pages' forms carry."""
    names = set()
    for route in url_patterns():
        if route.startswith("api/") or route.endswith((".csv", "download", "download/", "image", "media")):
            continue
        response = client.get(fill(route, values))
        if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            names |= set(re.findall(r'name="([\w-]+)"', response.content.decode()))
    return names - {"csrfmiddlewaretoken"}


def api_field_names() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {name for component in schema["components"]["schemas"].values()
            for name in component.get("properties", {})}


def junk_files(png: bytes) -> dict[str, io.BytesIO]:
    files = {}
    for name, content in (("file", png), ("predictions", png), ("table", b"\xff\xfe\x00bad"),
                          ("images", b"PK\x03\x04truncated"), ("archive", b""), ("manifest", png)):
        files[name] = io.BytesIO(content)
        files[name].name = f"{name}.csv"
    return files


def send(world, *, route: str, role, method: str, body: dict, kind: str, ids: dict | None = None):
    path = fill(route, {**world["values"], **(ids or {})})
    client = client_as(world["users"].get(role))
    if method == "GET":
        return path, client.get(path, {key: json.dumps(value) for key, value in body.items()})
    if kind == "json":
        return path, client.generic(method, path, json.dumps(body), content_type="application/json")
    if kind == "multipart":
        data = {key: json.dumps(value) if not isinstance(value, str) else value for key, value in body.items()}
        return path, client.post(path, {**data, **junk_files(world["png"])})
    encoded = {key: value if isinstance(value, str) else json.dumps(value) for key, value in body.items()}
    return path, client.generic(method, path, "&".join(f"{k}={v}" for k, v in encoded.items()),
                                content_type="application/x-www-form-urlencoded")


def owner_of(route: str):
    return "alpha-lead" if route.startswith(("challenges/", "api/challenges/")) and "new" not in route else "coord"


def test_every_url_survives_junk_as_its_owner_and_with_ids_too_large(world):
    failures = []
    ids_too_large = {name: HUGE for name in world["values"] if name.endswith("_id")}
    body = {name: JUNK[index % len(JUNK)] for index, name in enumerate(sorted(world["fields"]))}
    for route in world["routes"]:
        role, post = owner_of(route), "json" if route.startswith("api/") else "form"
        for method, kind, ids in (("GET", "plain", None), ("GET", "form", None), ("POST", post, None),
                                  ("POST", "multipart", None), ("GET", "plain", ids_too_large),
                                  ("POST", post, ids_too_large)):
            path, response = send(world, route=route, role=role, method=method, body={} if kind == "plain" else body,
                                  kind=kind, ids=ids)
            if response.status_code >= 500:
                failures.append(f"{method} {kind} {path} as {role}: {response.status_code}")
    assert failures == [], "\n".join(failures)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_random_junk_from_every_role_never_gets_a_5xx(world, data):
    route = data.draw(st.sampled_from(world["routes"]), label="route")
    role = data.draw(st.sampled_from(ROLES), label="role")
    method = data.draw(st.sampled_from(["GET", "POST", "POST", "PUT", "PATCH", "DELETE"]), label="method")
    kind = data.draw(st.sampled_from(["form", "json", "multipart"]), label="kind")
    names = data.draw(st.lists(st.sampled_from(sorted(world["fields"])), max_size=8, unique=True), label="fields")
    junk = st.one_of(st.sampled_from(JUNK), st.integers(), st.floats(), st.text(max_size=40),
                     st.recursive(st.integers() | st.text(max_size=5), lambda inner: st.lists(inner, max_size=3)
                                  | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6))
    body = {name: data.draw(junk, label=name) for name in names}
    path, response = send(world, route=route, role=role, method=method, body=body,
                          kind="form" if method == "GET" else kind)
    assert response.status_code < 500, f"{method} {kind} {path} as {role} with {body!r}"
