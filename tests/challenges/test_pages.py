"""Challenge pages: hidden MOS never reach a participant (every page, download and API endpoint), who may do what,
and the whole flow through the pages."""
import csv
import io
from urllib.parse import urlparse

import numpy as np
import pytest
from django.urls import URLPattern, resolve, reverse

from challenges import api_urls, services, urls
from challenges.models import Challenge, FactSheet, Participant, Submission, Team
from challenges.submission_services import submission_score_run

from .conftest import names_of, phase, predictions_csv, window
from .web import SHEET, body_text, built_bundle, leaks, scored_entries

pytestmark = pytest.mark.django_db
BAD_CSV = b"image,score\nimg10.png,1.5\nimg10.png,2\nimg99.png,3\nimg11.png,abc\n"


def url(name, *args):
    return reverse(f"challenges:{name}", args=args)


def api(name, *args):
    return reverse(f"challenges-api:{name}", args=args)


class Sweep:
    """Requests as one user; keeps every response body and which URL names were reached."""

    def __init__(self, client):
        self.client, self.bodies, self.reached = client, {}, set()

    def _keep(self, method, path, response, expect):
        assert response.status_code in expect, (method, path, response.status_code, body_text(response)[:400])
        self.bodies[f"{method} {path} -> {response.status_code}"] = body_text(response)
        self.reached.add(resolve(urlparse(path).path).view_name)
        for hop, _ in getattr(response, "redirect_chain", []):
            self.reached.add(resolve(urlparse(hop).path).view_name)
        return response

    def get(self, path, expect=(200,), **extra):
        return self._keep("GET", path, self.client.get(path, **extra), expect)

    def post(self, path, data=None, expect=(200,), follow=True, **extra):
        return self._keep("POST", path, self.client.post(path, data or {}, follow=follow, **extra), expect)


def all_url_names() -> set[str]:
    names = set()
    for module, namespace in ((urls, "challenges"), (api_urls, "challenges-api")):
        names |= {f"{namespace}:{pattern.name}" for pattern in module.urlpatterns if isinstance(pattern, URLPattern)}
    return names


def participant_sweep(client, challenge, entries) -> Sweep:
    """Every page, download and API endpoint of the challenge, as a registered participant with a team."""
    sweep, slug = Sweep(client), challenge.slug
    dev, test = phase(challenge, "development"), phase(challenge, "test")
    own_test = entries[("Alpha", "test")]
    # pages and downloads
    sweep.get(url("list"))
    sweep.get(url("new"))
    sweep.get(url("detail", slug))
    sweep.get(url("download", slug))
    for current in (dev, test):
        sweep.get(url("leaderboard", slug, current.pk))
        sweep.get(url("chart-csv", slug, current.pk, "scatter-alpha"), expect=(404,))
    sweep.get(url("final-table", slug, dev.pk))
    sweep.get(url("final-table", slug, test.pk), expect=(404,))
    sweep.post(url("register", slug), {"accept_terms": "on"})
    sweep.post(url("team-create", slug), {"name": "Another"})
    sweep.post(url("team-join", slug), {"join_code": "guess"})
    sweep.post(url("submit", slug, dev.pk), {"file": io.BytesIO(BAD_CSV)}, expect=(400,))
    upload = io.BytesIO(predictions_csv("val", noise=0.3, seed=5))
    upload.name = "second.csv"
    sweep.post(url("submit", slug, dev.pk), {"file": upload})
    sweep.post(url("final", slug, test.pk), {"submission": own_test.pk, **SHEET})
    sweep.post(url("final", slug, test.pk), {"submission": own_test.pk, "method": ""}, expect=(400,))
    for name in ("publish", "baseline"):
        sweep.post(url(name, slug, test.pk), {"run_id": "1"}, expect=(404,))
    sweep.post(url("phase-add", slug), {"kind": "test"}, expect=(404,))
    sweep.post(url("visibility", slug), {"is_public": "0"}, expect=(404,))
    for name in ("bundle-cancel", "bundle-rebuild"):
        sweep.post(url(name, slug), expect=(404,))
    sweep.post(url("submission-cancel", slug, own_test.pk))  # scored already: a message says nothing to cancel
    sweep.post(url("submission-cancel", slug, entries[("Beta", "test")].pk), expect=(404,))
    # the API
    sweep.get(api("list"))
    sweep.get(api("detail", slug))
    sweep.get(api("download", slug))
    sweep.get(api("submission-list", slug))
    for submission in Submission.objects.filter(team__name="Alpha"):
        sweep.get(api("submission-detail", slug, submission.pk))
    sweep.get(api("submission-detail", slug, entries[("Beta", "test")].pk), expect=(403,))
    for current in (dev, test):
        sweep.get(api("leaderboard", slug, current.pk))
    json_body = {"follow": False, "content_type": "application/json"}  # the API takes JSON bodies (docs/api.md)
    sweep.post(api("register", slug), {"accept_terms": True}, expect=(201,), **json_body)
    sweep.post(api("team-create", slug), {"name": "Again"}, expect=(400,), **json_body)
    sweep.post(api("team-join", slug), {"join_code": "guess"}, expect=(400,), **json_body)
    sweep.post(api("submit", slug, dev.pk), {"file": io.BytesIO(BAD_CSV)}, expect=(400,), follow=False)
    upload = io.BytesIO(predictions_csv("val", noise=0.2, seed=6))
    upload.name = "third.csv"
    sweep.post(api("submit", slug, dev.pk), {"file": upload}, expect=(201,), follow=False)
    sweep.post(api("submission-final", slug, own_test.pk), {**SHEET}, expect=(200,), follow=False,
               content_type="application/json")
    sweep.post(api("submission-cancel", slug, own_test.pk), expect=(400,), follow=False)
    sweep.post(api("submission-cancel", slug, entries[("Beta", "test")].pk), expect=(403,), follow=False)
    sweep.get(api("bundle", slug), expect=(403,))
    for name in ("bundle-cancel", "bundle-rebuild"):
        sweep.post(api(name, slug), expect=(403,), follow=False)
    return sweep


def test_no_page_download_or_api_answer_shows_a_participant_hidden_mos(client, challenge, team_users, coordinator):
    built_bundle(challenge)
    entries = scored_entries(challenge, team_users, coordinator)
    client.force_login(team_users[0])
    sweep = participant_sweep(client, challenge, entries)

    assert sweep.reached == all_url_names(), "every challenge page and API endpoint is in the sweep"
    found = {request: leaks(body) for request, body in sweep.bodies.items() if leaks(body)}
    assert found == {}
    hidden_score = entries[("Beta", "test")].scores["score"]
    for spelling in (repr(hidden_score), f"{hidden_score:.4f}"):
        assert not [request for request, body in sweep.bodies.items() if spelling in body], \
            "test scores stay hidden until published"
    download = f"GET {url('download', challenge.slug)}"
    zip_body = next(body for request, body in sweep.bodies.items() if request.startswith(download))
    assert "image,mos" in zip_body and "img00.png" in zip_body, "the zip was opened and read"

    organiser = client.__class__()
    organiser.force_login(coordinator)
    test = phase(challenge, "test")
    shown = body_text(organiser.get(url("leaderboard", challenge.slug, test.pk)))
    assert leaks(shown, parts=("test",)), "the check finds MOS where they are shown (the organiser's scatter plots)"

    services.phase_publish(phase=test, by=coordinator)
    published = Sweep(client).get(url("leaderboard", challenge.slug, test.pk))
    text = body_text(published)
    assert leaks(text, parts=("test",)) and not leaks(text, parts=("val",))
    assert "chart-scatter-alpha" in text and "chart-scatter-baseline-niqe" in text
    dev_board = body_text(Sweep(client).get(url("leaderboard", challenge.slug, phase(challenge, "development").pk)))
    assert not leaks(dev_board) and "scatter-hidden" in dev_board


def test_pages_of_a_private_challenge_and_other_teams_answer_404(client, challenge, team_users, coordinator,
                                                                 make_user):
    entries = scored_entries(challenge, team_users, coordinator)
    dev = phase(challenge, "development")
    assert client.get(url("detail", challenge.slug)).status_code == 302, "anonymous: to the login page"
    assert client.get(api("detail", challenge.slug)).status_code == 403

    client.force_login(team_users[0])
    other_final = {"submission": entries[("Beta", "test")].pk, **SHEET}
    assert client.post(url("final", challenge.slug, phase(challenge, "test").pk), other_final).status_code == 404
    assert client.get(url("leaderboard", challenge.slug, 999999)).status_code == 404

    services.challenge_update(challenge=challenge, by=coordinator, is_public=False)
    for path in (url("detail", challenge.slug), url("leaderboard", challenge.slug, dev.pk), url("download",
                 challenge.slug), url("final-table", challenge.slug, dev.pk)):
        response = client.get(path)
        assert response.status_code == 404, path
        assert challenge.title not in response.content.decode()
    assert client.post(url("register", challenge.slug), {"accept_terms": "on"}).status_code == 404
    assert challenge.title not in client.get(url("list")).content.decode()

    client.force_login(coordinator)
    page = client.get(url("detail", challenge.slug)).content.decode()
    assert "only organisers see it" in page and 'id="organiser"' in page and "cannot take part" in page


def test_a_visitor_must_register_before_downloading_or_submitting(client, challenge, make_user):
    built_bundle(challenge)
    visitor = make_user("visitor")
    client.force_login(visitor)
    page = client.get(url("detail", challenge.slug)).content.decode()
    assert challenge.terms in page and 'id="register-form"' in page and 'id="download"' not in page
    response = client.get(url("download", challenge.slug), follow=True)
    assert "Register for the challenge" in response.content.decode()
    refused = client.post(url("register", challenge.slug), {}, follow=True).content.decode()
    assert "Accept the challenge&#x27;s terms" in refused and not Participant.objects.filter(user=visitor).exists()


def test_the_participant_flow_through_the_pages(client, challenge, make_user, coordinator):
    built_bundle(challenge)
    user = make_user("lena")
    client.force_login(user)
    client.post(url("register", challenge.slug), {"accept_terms": "on"})
    page = client.post(url("team-create", challenge.slug), {"name": "Lena Lab"}, follow=True).content.decode()
    assert "Team Lena Lab created" in page and Team.objects.get(name="Lena Lab").join_code in page
    zip_response = client.get(url("download", challenge.slug))
    assert zip_response["Content-Disposition"].startswith('attachment; filename="iqa-2025-data.zip"')

    dev, test = phase(challenge, "development"), phase(challenge, "test")
    refused = client.post(url("submit", challenge.slug, dev.pk), {"file": io.BytesIO(BAD_CSV)})
    assert refused.status_code == 400
    text = refused.content.decode()
    for problem in ("line 3: &#x27;img10.png&#x27; repeats line 2 (one row per image)",
                    "line 4: &#x27;img99.png&#x27; is not an image of the val part",
                    "image(s) of the val part have no prediction"):
        assert problem in text, problem
    assert not Submission.objects.exists()

    for current, part in ((dev, "val"), (test, "test")):
        upload = io.BytesIO(predictions_csv(part, noise=0.4))
        upload.name = f"{part}.csv"
        client.post(url("submit", challenge.slug, current.pk), {"file": upload})
    for submission in Submission.objects.all():
        submission_score_run(submission_id=submission.pk)
    page = client.get(url("detail", challenge.slug)).content.decode()
    dev_entry, test_entry = Submission.objects.get(phase=dev), Submission.objects.get(phase=test)
    assert f"{dev_entry.scores['score']:.4f}" in page, "development scores are shown at once"
    assert f"{test_entry.scores['score']:.4f}" not in page and "hidden until published" in page
    assert "used 1 of 3 today and 1 of 5 in all" in page

    incomplete = client.post(url("final", challenge.slug, test.pk), {"submission": test_entry.pk, "method": "CNN",
                                                                      "gflops": "many"})
    assert incomplete.status_code == 400
    assert "gflops: &#x27;many&#x27; is not a non-negative number" in incomplete.content.decode()
    assert "parameters_m: required" in incomplete.content.decode()
    client.post(url("final", challenge.slug, test.pk), {"submission": test_entry.pk, **SHEET,
                                                        "ensemble": "no", "extra_data": "yes"})
    assert FactSheet.objects.get(submission=test_entry).extra_data is True
    board = client.get(url("leaderboard", challenge.slug, test.pk)).content.decode()
    assert "Lena Lab" in board and "hidden-note" in board and f"{test_entry.scores['score']:.4f}" not in board

    client.force_login(coordinator)
    client.post(url("publish", challenge.slug, test.pk))
    client.force_login(user)
    board = client.get(url("leaderboard", challenge.slug, test.pk)).content.decode()
    assert f"{test_entry.scores['score']:.4f}" in board and "224x224" in board and "28.3" in board
    table = list(csv.reader(io.StringIO(client.get(url("final-table", challenge.slug, test.pk)).content.decode())))
    assert table[0][:3] == ["rank", "team", "main score"] and table[1][:2] == ["1", "Lena Lab"]
    assert table[1][5:] == ["28.3", "224x224", "4.5", "no", "yes"]
    scatter = client.get(url("chart-csv", challenge.slug, test.pk, "scatter-lena-lab"))
    rows = list(csv.DictReader(io.StringIO(scatter.content.decode())))
    assert [row["image"] for row in rows] == names_of("test") and "fitted_poly4" in rows[0]
    predictions, mos = ([float(row[column]) for row in rows] for column in ("prediction", "mos"))
    assert np.allclose([float(row["fitted_poly4"]) for row in rows],
                       np.polyval(np.polyfit(predictions, mos, 4), predictions), atol=1e-6), "the one fit drawn"


def test_organisers_create_a_challenge_add_phases_publish_and_add_baselines(client, dataset_version, coordinator):
    client.force_login(coordinator)
    split = dataset_version.splits.get(name="official")
    form = client.get(url("new")).content.decode()
    assert f'value="{split.pk}"' in form
    refused = client.post(url("new"), {"split": split.pk, "slug": "new", "title": "T", "formula": "ntire2024"})
    assert refused.status_code == 400 and "names a page" in refused.content.decode()
    refused = client.post(url("new"), {"split": split.pk, "slug": "c1", "title": "T", "formula": "ntire2024"})
    assert "write the terms participants accept" in refused.content.decode()
    created = client.post(url("new"), {"split": split.pk, "slug": "c1", "title": "Seed challenge", "terms": "Fair.",
                                       "formula": "vquala2025", "rules": "One entry."})
    assert created.status_code == 302 and created["Location"].endswith("/challenges/c1/#organiser")
    challenge = Challenge.objects.get(slug="c1")
    assert challenge.score_spec == {"formula": "vquala2025"} and not challenge.is_public
    page = client.get(url("detail", "c1")).content.decode()
    assert "No phase yet." in page and 'id="phase-form"' in page and "Make public" in page
    assert "<option>test</option><option>val</option>" in page, "only the hidden parts can be scored"
    opens, closes = window()
    stamp = "%Y-%m-%dT%H:%M"
    for kind, part in (("development", "val"), ("test", "test")):
        client.post(url("phase-add", "c1"), {"kind": kind, "part": part, "opens_at": opens.strftime(stamp),
                                             "closes_at": closes.strftime(stamp), "max_per_day": 2, "max_total": 4})
    assert sorted(challenge.phases.values_list("kind", flat=True)) == ["development", "test"]
    again = client.post(url("phase-add", "c1"), {"kind": "test", "part": "test", "opens_at": opens.strftime(stamp),
                                                 "closes_at": closes.strftime(stamp), "max_per_day": 2,
                                                 "max_total": 4}, follow=True)
    assert "has a test phase already" in again.content.decode()
    client.post(url("visibility", "c1"), {"is_public": "1"})
    challenge.refresh_from_db()
    assert challenge.is_public
    test = phase(challenge, "test")
    missing = client.post(url("baseline", "c1", test.pk), {"run_id": "424242"}, follow=True).content.decode()
    assert "No training run #424242 in this challenge" in missing
    client.post(url("publish", "c1", test.pk))
    test.refresh_from_db()
    assert test.results_published_at is not None
