"""The challenge API: a participant's whole flow, refusals with line-level problems, scoping, and its schema."""
import hashlib
import io
import zipfile

import pytest
from django.urls import reverse
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from challenges import api as challenge_api
from challenges import services
from challenges.models import Submission
from challenges.submission_services import submission_score_run

from .conftest import phase, predictions_csv
from .web import SHEET, built_bundle, leaks

pytestmark = pytest.mark.django_db


def api(name, *args):
    return reverse(f"challenges-api:{name}", args=args)


def upload(content: bytes, name: str = "pred.csv"):
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def test_a_participant_registers_joins_downloads_submits_and_reads_the_leaderboard(client, challenge, make_user,
                                                                                   coordinator):
    bundle = built_bundle(challenge)
    lead, mate = make_user("lead"), make_user("mate")
    client.force_login(lead)
    refused = client.post(api("register", challenge.slug), {"accept_terms": False}, content_type="application/json")
    assert refused.status_code == 400 and "Accept the challenge's terms" in refused.json()["detail"]
    detail = client.post(api("register", challenge.slug), {"accept_terms": True}, content_type="application/json")
    assert detail.status_code == 201 and detail.json()["registered"] and detail.json()["team"] is None
    detail = client.post(api("team-create", challenge.slug), {"name": "Lead Lab"}, content_type="application/json")
    code = detail.json()["team_join_code"]
    assert detail.status_code == 201 and detail.json()["team_members"] == ["lead"]
    assert detail.json()["part_counts"] == {"test": 6, "train": 10, "val": 4}
    assert [(row["kind"], row["part"], row["images"]) for row in detail.json()["phases"]] == [
        ("development", "val", 4), ("test", "test", 6)]

    client.force_login(mate)
    assert client.get(api("download", challenge.slug)).status_code == 403, "not registered yet"
    client.post(api("register", challenge.slug), {"accept_terms": True}, content_type="application/json")
    joined = client.post(api("team-join", challenge.slug), {"join_code": code}, content_type="application/json")
    assert joined.json()["team"] == "Lead Lab" and joined.json()["team_members"] == ["lead", "mate"]
    download = client.get(api("download", challenge.slug))
    data = b"".join(download.streaming_content)
    assert hashlib.sha256(data).hexdigest() == bundle.sha256 == download["X-Content-SHA256"]
    assert "train.csv" in zipfile.ZipFile(io.BytesIO(data)).namelist()

    dev, test = phase(challenge, "development"), phase(challenge, "test")
    bad = client.post(api("submit", challenge.slug, dev.pk),
                      {"file": upload(b"image,score\nimg10.png,1\nimg11.png,x\nimg11.png,2\n")})
    assert bad.status_code == 400
    problems = bad.json()["problems"]
    assert "line 4: 'img11.png' repeats line 3 (one row per image)" in problems
    assert any(problem.startswith("line 3:") and "img11.png" in problem for problem in problems)
    assert any("have no prediction" in problem for problem in problems)
    first = client.post(api("submit", challenge.slug, dev.pk), {"file": upload(predictions_csv("val", noise=0.5))})
    again = client.post(api("submit", challenge.slug, dev.pk), {"file": upload(predictions_csv("val", noise=0.5))})
    assert first.status_code == 201 and again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert first.json()["status"] == "queued" and first.json()["scores"] is None
    entry = client.post(api("submit", challenge.slug, test.pk),
                        {"file": upload(zip_of(predictions_csv("test", noise=0.2)), "pred.zip")})
    assert entry.status_code == 201
    for submission in Submission.objects.all():
        submission_score_run(submission_id=submission.pk)

    mine = client.get(api("submission-list", challenge.slug), {"phase": dev.pk}).json()["results"]
    assert [row["id"] for row in mine] == [first.json()["id"]] and mine[0]["status"] == "succeeded"
    assert set(mine[0]["scores"]) == {"score", "srcc", "plcc", "krcc", "plcc_poly3", "n"}
    assert mine[0]["scores"]["n"] == 4
    hidden = client.get(api("submission-detail", challenge.slug, entry.json()["id"])).json()
    assert hidden["scores"] is None and hidden["scores_hidden"] and hidden["status"] == "succeeded"

    incomplete = client.post(api("submission-final", challenge.slug, entry.json()["id"]), {"method": "CNN"},
                             content_type="application/json")
    assert incomplete.status_code == 400 and "parameters_m: required" in incomplete.json()["problems"]
    final = client.post(api("submission-final", challenge.slug, entry.json()["id"]), SHEET,
                        content_type="application/json")
    assert final.status_code == 200 and final.json()["is_final"] and final.json()["fact_sheet"]["gflops"] == 4.5

    board = client.get(api("leaderboard", challenge.slug, test.pk)).json()
    assert not board["scores_visible"] and board["rows"][0]["team"] == "Lead Lab" and board["rows"][0]["score"] is None
    services.phase_publish(phase=test, by=coordinator)
    board = client.get(api("leaderboard", challenge.slug, test.pk)).json()
    row = board["rows"][0]
    assert board["scores_visible"] and row["rank"] == 1 and row["fact_sheet"]["input_size"] == "224x224"
    assert row["score"] == pytest.approx(Submission.objects.get(pk=entry.json()["id"]).scores["score"])
    dev_board = client.get(api("leaderboard", challenge.slug, dev.pk)).json()
    assert dev_board["scores_visible"] and dev_board["rows"][0]["submission_id"] == first.json()["id"]
    assert not leaks(repr([board, dev_board, mine, hidden, detail.json()]), parts=("val",))


def zip_of(content: bytes) -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr("predictions.csv", content)
    return stream.getvalue()


def test_the_api_refuses_outsiders_and_other_teams(client, challenge, team_users, coordinator, make_user):
    alpha, beta = team_users
    submission = Submission.objects.get(pk=client_submit(client, challenge, beta))
    client.force_login(alpha)
    for path in (api("submission-detail", challenge.slug, submission.pk),
                 api("submission-final", challenge.slug, submission.pk)):
        response = client.get(path) if "final" not in path else client.post(path, SHEET,
                                                                             content_type="application/json")
        assert response.status_code == 403 and response.json()["detail"] == "No such submission of your team."
    assert client.get(api("submission-list", challenge.slug)).json()["results"] == []
    assert client.get(api("leaderboard", challenge.slug, 987654)).status_code == 403
    client.force_login(coordinator)
    organiser = client.post(api("register", challenge.slug), {"accept_terms": True}, content_type="application/json")
    assert organiser.status_code == 400 and "cannot take part" in organiser.json()["detail"]

    client.force_login(alpha)
    services.challenge_update(challenge=challenge, by=coordinator, is_public=False)
    for path in (api("detail", challenge.slug), api("leaderboard", challenge.slug, phase(challenge, "test").pk),
                 api("download", challenge.slug), api("detail", "no-such-challenge")):
        response = client.get(path)
        assert response.status_code == 403
        assert response.json()["detail"] == "No such challenge, or it is not open to you."
    assert client.get(api("list")).json()["results"] == []
    client.force_login(coordinator)
    assert [row["slug"] for row in client.get(api("list")).json()["results"]] == ["iqa-2025"]
    client.logout()
    assert client.get(api("list")).status_code == 403


def client_submit(client, challenge, user) -> int:
    client.force_login(user)
    response = client.post(api("submit", challenge.slug, phase(challenge, "test").pk),
                           {"file": upload(predictions_csv("test"))})
    assert response.status_code == 201, response.json()
    submission_score_run(submission_id=response.json()["id"])
    return response.json()["id"]


def test_the_schema_describes_the_challenge_api_without_warnings():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    views = [name for name, value in vars(challenge_api).items() if isinstance(value, type) and name.endswith("Api")]
    assert len(views) == 15 and list({**GENERATOR_STATS._warn_cache, **GENERATOR_STATS._error_cache}) == []
    paths = schema["paths"]
    submit = paths["/api/challenges/{slug}/phases/{phase_id}/submissions/"]["post"]
    body = submit["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert schema["components"]["schemas"][body]["properties"]["file"]["format"] == "binary"
    assert {"200", "201"} <= set(submit["responses"])
    board = paths["/api/challenges/{slug}/phases/{phase_id}/leaderboard/"]["get"]["responses"]["200"]
    name = board["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert schema["components"]["schemas"][name]["properties"]["rows"]["items"]["$ref"].endswith(
        "/ChallengeBoardRowOutput")
    assert "application/zip" in paths["/api/challenges/{slug}/download/"]["get"]["responses"]["200"]["content"]


def test_the_challenge_list_pages_and_filters(client, challenge, coordinator, make_user):
    other = services.challenge_create(
        version=challenge.version, split=challenge.split, slug="vqa-2026", title="Video Quality 2026", rules="",
        terms="Fair play.", score_spec={"formula": "ntire2024"}, by=coordinator, is_public=False)
    client.force_login(coordinator)
    page = client.get(api("list"), {"page_size": 1}).json()
    assert page["count"] == 2 and [row["slug"] for row in page["results"]] == [other.slug] and page["next"]
    assert [row["slug"] for row in client.get(page["next"]).json()["results"]] == [challenge.slug]
    assert [row["slug"] for row in client.get(api("list"), {"search": "video"}).json()["results"]] == [other.slug]
    client.force_login(make_user("visitor"))  # the private one is the organisers' only
    assert [row["slug"] for row in client.get(api("list")).json()["results"]] == [challenge.slug]
    assert client.get(api("list"), {"page_size": "many"}).status_code == 200  # DRF falls back to the default size
    assert client.get(api("submission-list", challenge.slug), {"phase": "first"}).status_code == 400
