"""The permission matrix of the study workflow API: every route and method keyed by a study, called with a token of
another study's coordinator and with a token of an annotator of the study, with bodies that would change something.
None of them reads or changes anything it should not; the study's own coordinator reads every route."""
import io
import uuid
import zipfile

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from annotation.models import QualityItem
from annotation.protocol_services import protocol_publish
from studies import services
from studies.models import Invitation, Membership, MosComputation, Study, StudyProtocol, SubjectDecision
from studies.people.services import invitation_create
from tests.conftest import token_client, write_image

pytestmark = pytest.mark.django_db
Role = Membership.Role
ANNOTATOR_MAY = {("api/studies/<int:study_id>/", "get"), ("api/studies/<int:study_id>/stimuli/<int:stimulus_id>/media/",
                                                         "get")}
ANNOTATOR_ENDPOINTS = ("api/annotation/studies/<int:study_id>/ratings/", "api/annotation/studies/<int:study_id>/queue/")


def workflow_routes() -> set[tuple[str, str]]:
    """(route, method) of every study workflow endpoint: under api/studies/<id>/ and the coordinator's part of
    api/annotation/studies/<id>/ (the annotator's queue and votes have their own tests)."""
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and (view := getattr(pattern.callback, "cls", None)):
                for method in ("get", "post", "put", "patch", "delete"):
                    if hasattr(view, method):
                        yield prefix + str(pattern.pattern), method
    return {(route, method) for route, method in walk(get_resolver().url_patterns)
            if route.startswith(("api/studies/<int:study_id>/", "api/annotation/studies/<int:study_id>/"))
            and route not in ANNOTATOR_ENDPOINTS}


def zipped_image(folder) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(write_image(folder / "intruder.png", seed=77), "intruder.png")
    buffer.seek(0)
    buffer.name = "intruder.zip"
    return buffer


@pytest.fixture
def alpha(make_user, tmp_path):
    """A study with a stimulus, an annotator's vote, a MOS computation and a protocol version; and a second study
    whose coordinator is an outsider to the first."""
    owner, annotator, outsider = make_user("alpha-coord"), make_user("alpha-ann"), make_user("beta-coord")
    study = services.study_create(name="alpha", slug="alpha", created_by=owner, raters_per_stimulus=1)
    services.membership_add(study=study, user=owner, role=Role.RESEARCHER)
    services.study_create(name="beta", slug="beta", created_by=outsider)
    services.stimuli_import(study=study, source=write_image(tmp_path / "alpha" / "a.png", seed=1).parent)
    services.study_status_set(study=study, status=Study.Status.OPEN)
    membership = services.membership_add(study=study, user=annotator, role=Role.ANNOTATOR)
    stimulus = study.stimuli.get()
    services.rating_record(study=study, stimulus=stimulus, rater=annotator, score=3, client_id=uuid.uuid4(),
                           details={"verified": True})
    computation = services.mos_computation_start(study=study, by=owner)
    services.mos_computation_run(computation_id=computation.pk)
    protocol_publish(study=study, config={"relabel_rounds": 1}, by=owner)
    invitation = invitation_create(study=study, role=Role.ANNOTATOR, by=owner).invitation
    ids = {"study_id": study.pk, "membership_id": membership.pk, "stimulus_id": stimulus.pk,
           "computation_id": computation.pk, "invitation_id": invitation.pk}
    bodies = {
        "api/studies/<int:study_id>/status/": {"status": "closed"},
        "api/studies/<int:study_id>/members/": {"username": "beta-coord", "role": "coordinator"},
        "api/studies/<int:study_id>/stimuli/": {"archive": zipped_image(tmp_path)},
        "api/studies/<int:study_id>/invitations/": {"role": "coordinator", "days": 30},
        "api/studies/<int:study_id>/mos/": {"method": "mean"},
        "api/studies/<int:study_id>/subject-decisions/": {"rater_id": annotator.pk, "decision": "reject",
                                                          "reason": "not mine to say"},
        "api/annotation/studies/<int:study_id>/protocol/versions/": {"config": {}, "raters_per_stimulus": 9},
        "api/annotation/studies/<int:study_id>/quality-items/": {"items": [{"file": "a.png", "kind": "gold",
                                                                            "reference_score": 3}]},
        "api/annotation/studies/<int:study_id>/reviews/decisions/": {"review_ids": [1], "action": "accept"},
    }
    return study, {"owner": owner, "annotator": annotator, "outsider": outsider}, ids, bodies


def call(client, route: str, method: str, ids: dict, bodies: dict):
    url = "/" + route
    for name, value in ids.items():
        url = url.replace(f"<int:{name}>", str(value))
    assert "<" not in url, f"{route}: give the matrix an id of the study's own object for this parameter"
    if method == "get":  # a read sends no body (the upload's bytes would end up in the query string)
        return client.get(url)
    body = bodies.get(route, {})
    if "archive" in body:
        body["archive"].seek(0)
        return getattr(client, method)(url, body, format="multipart")
    return getattr(client, method)(url, body, format="json")


def snapshot(study: Study) -> tuple:
    study.refresh_from_db()
    return (study.status, study.stimuli.count(), Membership.objects.filter(study=study).count(),
            MosComputation.objects.filter(study=study).count(), SubjectDecision.objects.filter(study=study).count(),
            StudyProtocol.objects.filter(study=study).count(), QualityItem.objects.filter(study=study).count(),
            sorted(Invitation.objects.filter(study=study).values_list("pk", "revoked_at")))


def test_the_table_covers_every_workflow_route(alpha):
    routes = workflow_routes()
    assert len(routes) >= 20, routes
    _, _, _, bodies = alpha
    posts = {route for route, method in routes if method == "post"}
    assert posts == set(bodies), "every write of the matrix is sent a body that would change something"


def test_another_studys_coordinator_reads_and_changes_nothing(alpha):
    study, users, ids, bodies = alpha
    before = snapshot(study)
    client = token_client(users["outsider"])
    for route, method in sorted(workflow_routes()):
        answer = call(client, route, method, ids, bodies)
        assert answer.status_code in (403, 404), (route, method, answer.status_code)
    assert snapshot(study) == before
    assert not Membership.objects.filter(study=study, user=users["outsider"]).exists()


def test_an_annotator_gets_only_the_study_and_its_images(alpha):
    study, users, ids, bodies = alpha
    before = snapshot(study)
    client = token_client(users["annotator"])
    for route, method in sorted(workflow_routes()):
        answer = call(client, route, method, ids, bodies)
        expected = (200,) if (route, method) in ANNOTATOR_MAY else (403, 404)
        assert answer.status_code in expected, (route, method, answer.status_code)
    assert snapshot(study) == before


def test_the_studys_own_coordinator_reads_every_route(alpha):
    study, users, ids, bodies = alpha
    client = token_client(users["owner"])
    for route, method in sorted(workflow_routes()):
        if method == "get":
            assert call(client, route, method, ids, bodies).status_code == 200, route
