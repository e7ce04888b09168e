"""The study workflow through the API with a personal token: studies, members, stimuli and MOS computations.

Each write is checked by what it stored; each bad input answers a 400 that says what to fix."""
import io
import uuid
import zipfile

import pytest

from studies import services
from studies.models import Membership, MosComputation, Rating, Stimulus, Study, SubjectDecision
from tests.conftest import token_client, write_image

pytestmark = pytest.mark.django_db
Role = Membership.Role


def zipped(folder) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)
    buffer.seek(0)
    buffer.name = "images.zip"
    return buffer


def test_staff_make_a_study_and_become_its_coordinator(make_user):
    staff, someone = make_user("staff", is_staff=True), make_user("someone")
    body = {"name": "Sharpness", "slug": "sharpness", "scale_min": 0, "scale_max": 100, "raters_per_stimulus": 7}
    made = token_client(staff).post("/api/studies/", body, format="json")
    assert made.status_code == 201, made.json()
    study = Study.objects.get(slug="sharpness")
    assert (study.scale_min, study.scale_max, study.raters_per_stimulus) == (0, 100, 7)
    assert made.json()["roles"] == ["coordinator"] and made.json()["id"] == study.pk
    assert token_client(someone).post("/api/studies/", {**body, "slug": "other"}, format="json").status_code == 403
    again = token_client(staff).post("/api/studies/", body, format="json")
    assert again.status_code == 400 and "exists already" in again.json()["detail"]
    upside_down = token_client(staff).post("/api/studies/", {**body, "slug": "x", "scale_max": -1}, format="json")
    assert upside_down.status_code == 400 and "scale_max" in upside_down.json()
    assert Study.objects.count() == 1


def test_the_study_list_pages_and_filters(make_user):
    user = make_user("lister")
    for index in range(3):
        study = services.study_create(name=f"Study {index}", slug=f"s{index}", created_by=make_user(f"c{index}"))
        services.membership_add(study=study, user=user, role=Role.ANNOTATOR if index else Role.RESEARCHER)
    Study.objects.filter(slug="s2").update(status=Study.Status.OPEN)
    client = token_client(user)
    first = client.get("/api/studies/", {"page_size": 2}).json()
    assert first["count"] == 3 and [s["slug"] for s in first["results"]] == ["s0", "s1"] and first["next"]
    assert [s["slug"] for s in client.get(first["next"]).json()["results"]] == ["s2"]
    assert [s["slug"] for s in client.get("/api/studies/", {"status": "open"}).json()["results"]] == ["s2"]
    assert [s["slug"] for s in client.get("/api/studies/", {"role": "researcher"}).json()["results"]] == ["s0"]
    assert [s["slug"] for s in client.get("/api/studies/", {"search": "y 1"}).json()["results"]] == ["s1"]
    assert client.get("/api/studies/", {"status": "nonsense"}).status_code == 400
    assert client.get("/api/studies/", {"page": 9}).status_code == 404


def test_a_coordinator_opens_and_closes_the_study_and_no_one_else(study, make_user):
    annotator = make_user("ann")
    services.membership_add(study=study, user=annotator, role=Role.ANNOTATOR)
    coordinator = token_client(study.created_by)
    opened = coordinator.post(f"/api/studies/{study.pk}/status/", {"status": "open"}, format="json")
    assert opened.status_code == 200 and opened.json()["status"] == "open"
    assert Study.objects.get(pk=study.pk).status == Study.Status.OPEN
    assert token_client(annotator).post(f"/api/studies/{study.pk}/status/", {"status": "closed"},
                                  format="json").status_code == 403
    assert token_client(annotator).get(f"/api/studies/{study.pk}/").json()["roles"] == ["annotator"]
    assert coordinator.post(f"/api/studies/{study.pk}/status/", {"status": "shut"}, format="json").status_code == 400
    Study.objects.filter(pk=study.pk).update(origin=Study.Origin.IMPORTED, status=Study.Status.CLOSED)
    refused = coordinator.post(f"/api/studies/{study.pk}/status/", {"status": "open"}, format="json")
    assert refused.status_code == 400 and "stays closed" in refused.json()["detail"]
    assert Study.objects.get(pk=study.pk).status == Study.Status.CLOSED


def test_coordinators_list_add_and_remove_members(study, make_user):
    make_user("newcomer")
    client = token_client(study.created_by)
    added = client.post(f"/api/studies/{study.pk}/members/", {"username": "newcomer", "role": "researcher"},
                        format="json")
    assert added.status_code == 201 and added.json()["username"] == "newcomer"
    assert Membership.objects.filter(study=study, user__username="newcomer", role=Role.RESEARCHER).exists()
    client.post(f"/api/studies/{study.pk}/members/", {"username": "newcomer", "role": "researcher"}, format="json")
    assert Membership.objects.filter(study=study, user__username="newcomer").count() == 1, "adding twice is one role"
    members = client.get(f"/api/studies/{study.pk}/members/").json()
    assert [(m["username"], m["role"]) for m in members["results"]] == [("coord", "coordinator"),
                                                                      ("newcomer", "researcher")]
    only = client.get(f"/api/studies/{study.pk}/members/", {"role": "researcher"}).json()["results"]
    assert [m["username"] for m in only] == ["newcomer"]
    nobody = client.post(f"/api/studies/{study.pk}/members/", {"username": "ghost", "role": "annotator"},
                         format="json")
    assert nobody.status_code == 400 and "ghost" in nobody.json()["detail"]
    assert client.post(f"/api/studies/{study.pk}/members/", {"username": "newcomer", "role": "boss"},
                       format="json").status_code == 400
    assert client.delete(f"/api/studies/{study.pk}/members/{added.json()['id']}/").status_code == 204
    assert not Membership.objects.filter(study=study, user__username="newcomer").exists()
    last = Membership.objects.get(study=study, role=Role.COORDINATOR)
    refused = client.delete(f"/api/studies/{study.pk}/members/{last.pk}/")
    assert refused.status_code == 400 and "only coordinator" in refused.json()["detail"]
    assert Membership.objects.filter(pk=last.pk).exists()


def test_a_zip_upload_imports_all_or_nothing_and_the_list_pages(study, image_folder, tmp_path, make_user):
    client = token_client(study.created_by)
    url = f"/api/studies/{study.pk}/stimuli/"
    made = client.post(url, {"archive": zipped(image_folder)}, format="multipart")
    assert made.status_code == 201, made.json()
    assert made.json()["created"] == ["img0.png", "img1.png", "img2.png", "img3.png"]
    again = client.post(url, {"archive": zipped(image_folder)}, format="multipart")
    assert again.status_code == 200 and again.json() == {"created": [], "unchanged": made.json()["created"]}
    broken = tmp_path / "broken"
    write_image(broken / "new.png", seed=99)
    (broken / "bad.png").write_bytes(b"not an image at all")
    (broken / "worse.jpg").write_bytes(b"\xff\xd8 truncated")
    refused = client.post(url, {"archive": zipped(broken)}, format="multipart")
    assert refused.status_code == 400 and len(refused.json()["problems"]) == 2, refused.json()
    assert not Stimulus.objects.filter(study=study, name="new.png").exists(), "all or nothing"
    not_zip = io.BytesIO(b"plain text")
    not_zip.name = "notes.txt"
    assert client.post(url, {"archive": not_zip}, format="multipart").status_code == 400
    assert client.post(url, {"archive": "x"}, format="json").status_code == 415, "uploads are multipart only"
    page = client.get(url, {"page_size": 3}).json()
    assert page["count"] == 4 and [s["name"] for s in page["results"]] == ["img0.png", "img1.png", "img2.png"]
    one = client.get(url, {"search": "img3"}).json()["results"]
    assert [s["name"] for s in one] == ["img3.png"] and one[0]["media_url"].endswith("/media/")
    media = client.get(one[0]["media_url"])
    assert media.status_code == 200 and b"".join(media.streaming_content) == (image_folder / "img3.png").read_bytes()
    researcher = make_user("res")
    services.membership_add(study=study, user=researcher, role=Role.RESEARCHER)
    assert token_client(researcher).get(url).status_code == 200
    assert token_client(researcher).post(url, {"archive": zipped(image_folder)}, format="multipart").status_code == 403


@pytest.fixture
def voted_study(open_study, make_user):
    """Four images, three raters; rater r2 votes the reverse of the others."""
    for index in range(3):
        rater = make_user(f"r{index}")
        services.membership_add(study=open_study, user=rater, role=Role.ANNOTATOR)
        for position, stimulus in enumerate(open_study.stimuli.order_by("name")):
            score = 5 - position if index == 2 else 1 + position
            services.rating_record(study=open_study, stimulus=stimulus, rater=rater, score=score,
                                   client_id=uuid.uuid4(), details={"verified": True})
    return open_study


def test_a_mos_computation_is_started_polled_and_read(voted_study, make_user):
    client = token_client(voted_study.created_by)
    base = f"/api/studies/{voted_study.pk}/mos/"
    started = client.post(base, {"method": "mean"}, format="json")
    assert started.status_code == 201 and started.json()["status"] == "queued"
    computation_id = started.json()["id"]
    services.mos_computation_run(computation_id=computation_id)  # what the worker does with the queued row
    polled = client.get(f"{base}{computation_id}/").json()
    assert polled["status"] == "succeeded" and polled["num_ratings"] == 12
    results = client.get(f"{base}{computation_id}/results/", {"page_size": 2}).json()
    assert results["count"] == 4 and len(results["results"]) == 2
    rows = {row["stimulus"]: row for row in client.get(f"{base}{computation_id}/results/").json()["results"]}
    for stimulus in Stimulus.objects.filter(study=voted_study):
        scores = list(Rating.objects.filter(stimulus=stimulus).values_list("score", flat=True))
        assert rows[stimulus.name]["mos"] == pytest.approx(sum(scores) / len(scores))
        assert rows[stimulus.name]["count"] == 3
    subjects = client.get(f"{base}{computation_id}/subjects/").json()
    assert [row["rater"] for row in subjects["results"]] == ["r0", "r1", "r2"]
    assert client.get(f"{base}{computation_id}/subjects/", {"rejected": "true"}).json()["count"] == 0
    assert [c["id"] for c in client.get(base, {"status": "succeeded"}).json()["results"]] == [computation_id]
    assert client.get(base, {"status": "queued"}).json()["count"] == 0
    assert client.post(base, {"method": "median"}, format="json").status_code == 400
    unknown = client.post(base, {"dimension": "colour"}, format="json")
    assert unknown.status_code == 400 and "single score" in unknown.json()["detail"]
    assert MosComputation.objects.count() == 1


def test_a_coordinator_overrides_screening_of_a_rater_of_the_study(voted_study, make_user):
    client = token_client(voted_study.created_by)
    rater = Rating.objects.filter(study=voted_study, rater__username="r2").first().rater
    url = f"/api/studies/{voted_study.pk}/subject-decisions/"
    made = client.post(url, {"rater_id": rater.pk, "decision": "reject", "reason": "reversed scale"}, format="json")
    assert made.status_code == 201 and made.json()["rater"] == "r2"
    assert SubjectDecision.objects.get().reason == "reversed scale"
    assert [d["decision"] for d in client.get(url).json()["results"]] == ["reject"]
    blank = client.post(url, {"rater_id": rater.pk, "decision": "keep", "reason": "  "}, format="json")
    assert blank.status_code == 400
    outsider = make_user("outsider")
    assert client.post(url, {"rater_id": outsider.pk, "decision": "keep", "reason": "x"},
                       format="json").status_code == 403
    computation = services.mos_computation_start(study=voted_study, by=voted_study.created_by, method="bt500")
    services.mos_computation_run(computation_id=computation.pk)
    reports = client.get(f"/api/studies/{voted_study.pk}/mos/{computation.pk}/subjects/", {"rejected": "true"})
    assert [row["rater"] for row in reports.json()["results"]] == ["r2"], "the override is applied"
    assert SubjectDecision.objects.count() == 1
