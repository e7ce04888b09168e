"""Resumable stimulus uploads: chunks at the server's offset, a resume after a lost chunk, the all-or-nothing import
with every problem listed, a size cap, abandoned uploads cleaned up, and scoping to the coordinator who started it."""
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from studies import services
from studies.models import Stimulus, StimulusUpload
from studies.uploads import services as upload_services
from tests.conftest import write_image

pytestmark = pytest.mark.django_db


def zip_of(folder, names) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index, name in enumerate(names):
            archive.write(write_image(folder / name, seed=index), name)
    return buffer.getvalue()


def start(client, study, files) -> dict:
    answer = client.post(f"/studies/{study.pk}/uploads/", json.dumps({"files": files}),
                         content_type="application/json")
    assert answer.status_code == 201, answer.json()
    return answer.json()


def send(client, study, upload_id, name, offset, data):
    return client.post(f"/studies/{study.pk}/uploads/{upload_id}/chunk?name={name}&offset={offset}", data,
                       content_type="application/octet-stream")


def test_a_zip_in_chunks_with_a_lost_answer_resumes_and_imports(client, study, coordinator, tmp_path, settings):
    client.force_login(coordinator)
    data = zip_of(tmp_path / "z", ["a.png", "b.png", "c.png"])
    size = 1000
    upload = start(client, study, [{"name": "images.zip", "size": len(data)}])
    assert upload["received"] == {"images.zip": 0}
    assert send(client, study, upload["id"], "images.zip", 0, data[:size]).json()["received"] == size
    # the answer to the second chunk is "lost": the page sends it again, and is told where the server is
    send(client, study, upload["id"], "images.zip", size, data[size:2 * size])
    again = send(client, study, upload["id"], "images.zip", size, data[size:2 * size])
    assert again.status_code == 409 and again.json()["received"] == 2 * size
    # after a reload the page asks what arrived, and sends the rest
    state = client.get(f"/studies/{study.pk}/uploads/{upload['id']}/").json()
    offset = state["received"]["images.zip"]
    assert send(client, study, upload["id"], "images.zip", offset, data[offset:]).status_code == 200
    imported = client.post(f"/studies/{study.pk}/uploads/{upload['id']}/import")
    assert imported.status_code == 201 and imported.json()["created"] == ["a.png", "b.png", "c.png"]
    assert study.stimuli.count() == 3
    assert not StimulusUpload.objects.exists() and not any((settings.MOSLAB_UPLOAD_DIR).iterdir())


def test_many_files_import_as_a_folder(client, study, coordinator, tmp_path):
    client.force_login(coordinator)
    files = {name: write_image(tmp_path / name, seed=index).read_bytes()
             for index, name in enumerate(["x.png", "y.png"])}
    upload = start(client, study, [{"name": name, "size": len(data)} for name, data in files.items()])
    for name, data in files.items():
        send(client, study, upload["id"], name, 0, data)
    assert client.post(f"/studies/{study.pk}/uploads/{upload['id']}/import").json()["created"] == ["x.png", "y.png"]


def test_every_problem_is_listed_and_nothing_is_imported(client, study, coordinator, tmp_path):
    client.force_login(coordinator)
    good = write_image(tmp_path / "good.png", seed=1).read_bytes()
    files = {"good.png": good, "broken.png": b"not an image at all", "notes.txt": b"hello"}
    upload = start(client, study, [{"name": name, "size": len(data)} for name, data in files.items()])
    for name, data in files.items():
        send(client, study, upload["id"], name, 0, data)
    answer = client.post(f"/studies/{study.pk}/uploads/{upload['id']}/import")
    assert answer.status_code == 400
    problems = " ".join(answer.json()["problems"])
    assert "broken.png" in problems and "notes.txt" in problems
    assert not Stimulus.objects.filter(study=study).exists()


def test_an_incomplete_upload_is_not_imported(client, study, coordinator):
    client.force_login(coordinator)
    upload = start(client, study, [{"name": "a.png", "size": 100}])
    send(client, study, upload["id"], "a.png", 0, b"x" * 40)
    answer = client.post(f"/studies/{study.pk}/uploads/{upload['id']}/import")
    assert answer.status_code == 400 and "a.png: 40 of 100 bytes arrived" in answer.json()["problems"]


def test_bad_announcements_are_refused_with_every_problem(client, study, coordinator, settings):
    settings.MOSLAB_MAX_UPLOAD_BYTES = 1000
    client.force_login(coordinator)
    files = [{"name": "../evil.png", "size": 5}, {"name": "a.zip", "size": 990}, {"name": "b.png", "size": 0},
             {"name": "c.png", "size": 50}]
    answer = client.post(f"/studies/{study.pk}/uploads/", json.dumps({"files": files}), content_type="application/json")
    problems = " ".join(answer.json()["problems"])
    assert answer.status_code == 400
    for words in ("plain file name", "b.png: the size must be", "send one zip on its own", "more than the limit"):
        assert words in problems
    assert client.post(f"/studies/{study.pk}/uploads/", "{nope", content_type="application/json").status_code == 400


def test_a_chunk_past_the_announced_size_is_refused(client, study, coordinator):
    client.force_login(coordinator)
    upload = start(client, study, [{"name": "a.png", "size": 10}])
    answer = send(client, study, upload["id"], "a.png", 0, b"x" * 11)
    assert answer.status_code == 400 and "larger than announced" in answer.json()["detail"]


def test_abandoned_uploads_are_removed_when_the_next_starts(client, study, coordinator, settings):
    client.force_login(coordinator)
    old = start(client, study, [{"name": "a.png", "size": 10}])
    send(client, study, old["id"], "a.png", 0, b"x" * 4)
    StimulusUpload.objects.filter(pk=old["id"]).update(updated_at=timezone.now() - timedelta(hours=25))
    start(client, study, [{"name": "b.png", "size": 10}])
    assert not StimulusUpload.objects.filter(pk=old["id"]).exists()
    assert not (settings.MOSLAB_UPLOAD_DIR / old["id"]).exists()
    assert upload_services.uploads_clean_abandoned() == 0


def test_nobody_else_reaches_an_upload(client, study, coordinator, make_user):
    client.force_login(coordinator)
    upload = start(client, study, [{"name": "a.png", "size": 10}])
    second = make_user("second-coord")
    services.membership_add(study=study, user=second, role="coordinator")
    annotator = make_user("ann")
    services.membership_add(study=study, user=annotator, role="annotator")
    for user in (second, annotator):
        client.force_login(user)
        assert client.get(f"/studies/{study.pk}/uploads/{upload['id']}/").status_code == 404
        assert send(client, study, upload["id"], "a.png", 0, b"x").status_code == 404
        assert client.post(f"/studies/{study.pk}/uploads/{upload['id']}/import").status_code == 404
    client.force_login(annotator)
    assert client.post(f"/studies/{study.pk}/uploads/", json.dumps({"files": [{"name": "a.png", "size": 1}]}),
                       content_type="application/json").status_code == 404
    assert StimulusUpload.objects.count() == 1


def test_the_clean_command_removes_abandoned_uploads_only(study, coordinator, settings):
    old = upload_services.upload_start(study=study, by=coordinator, files=[{"name": "a.png", "size": 3}])
    fresh = upload_services.upload_start(study=study, by=coordinator, files=[{"name": "b.png", "size": 3}])
    StimulusUpload.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(hours=30))
    output = io.StringIO()
    call_command("uploads_clean", stdout=output)
    assert "Removed 1 abandoned upload " in output.getvalue()
    assert list(StimulusUpload.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not (settings.MOSLAB_UPLOAD_DIR / str(old.pk)).exists()
