"""Request bodies are refused by their declared size before a byte of them is read."""
import io

import pytest
from django.test import Client

from studies.models import Study

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


class EndlessBody(io.RawIOBase):
    """A request body that is generated as it is read, counting what the server took from it."""

    def __init__(self):
        self.taken = 0

    def readable(self):
        return True

    def read(self, size=-1):
        size = 64 * 1024 if size is None or size < 0 else min(size, 64 * 1024)
        self.taken += size
        return b"x" * size

    def readline(self, size=-1):
        return self.read(size)


def send(client: Client, path: str, *, declared: int, content_type: str) -> tuple[object, EndlessBody]:
    body = EndlessBody()
    response = client.post(path, data=b"", content_type=content_type,
                           **{"wsgi.input": body, "CONTENT_LENGTH": str(declared)})
    return response, body


def test_a_64_mb_predictions_upload_is_refused_before_it_is_read(rated, client_for):
    response, body = send(client_for("researcher"), f"/studies/{rated.pk}/dashboards/predictions/",
                          declared=64 * MB, content_type="multipart/form-data; boundary=xyz")
    assert response.status_code == 413
    assert body.taken == 0
    text = response.content.decode()
    assert "64.0 MB" in text and "at most 20.2 MB" in text and "Nothing was stored" in text


def test_a_json_api_body_over_the_default_cap_is_refused_as_json(rated, client_for):
    response, body = send(client_for("annotator"), f"/api/annotation/studies/{rated.pk}/ratings/",
                          declared=50 * MB, content_type="application/json")
    assert response.status_code == 413 and body.taken == 0
    assert "at most 2.5 MB" in response.json()["detail"]


def test_an_ordinary_form_over_the_default_cap_is_refused(rated, client_for):
    response, body = send(client_for("coord"), f"/studies/{rated.pk}/protocol/", declared=3 * MB,
                          content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413 and body.taken == 0


@pytest.mark.parametrize("path", ["/api/datasets/imports/", "/admin/studies/datasetimport/add/",
                                  "/admin/studies/study/{study}/import-stimuli/"])
def test_staff_imports_are_capped_at_the_upload_limit(rated, make_user, settings, path):
    staff = Client()
    staff.force_login(make_user("boss", is_staff=True, is_superuser=True))
    over = settings.MOSLAB_MAX_UPLOAD_BYTES + 2 * MB
    response, body = send(staff, path.format(study=rated.pk), declared=over,
                          content_type="multipart/form-data; boundary=xyz")
    assert response.status_code == 413 and body.taken == 0
    assert Study.objects.count() == 1


def test_a_challenge_submission_over_its_limit_is_refused(rated, client_for):
    for path in ("/challenges/any/phases/1/submit/", "/api/challenges/any/phases/1/submissions/"):
        response, body = send(client_for("researcher"), path, declared=30 * MB,
                              content_type="multipart/form-data; boundary=xyz")
        assert response.status_code == 413 and body.taken == 0, path


def test_uploads_under_the_limit_still_arrive(rated, client_for):
    client = client_for("researcher")
    response = client.post(f"/studies/{rated.pk}/dashboards/predictions/",
                           {"model": "m", "predictions": io.BytesIO(b"image,score\ns00.png,1\ns01.png,2\n")})
    assert response.status_code == 302 and "/dashboards/predictions/m-" in response["Location"]
