"""Headless Chromium on the challenge pages: a participant's challenge page and both leaderboards (screenshots)."""
import pytest

from challenges import services, tasks
from challenges.models import Submission
from challenges.submission_services import submission_mark_final, submission_score_run, submission_submit
from tests.browser.conftest import screenshot
from tests.browser.test_dashboard_browser import open_dashboard
from tests.challenges.conftest import challenge, dataset_version, names_of, phase, predictions_csv, team_users  # noqa: F401
from tests.challenges.web import SHEET, built_bundle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NO_OVERFLOW = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
SHEETS = {
    "Alpha": {**SHEET, "method": "Swin-T regressor, rank + L1 loss, 5-crop test-time augmentation"},
    "Beta": {**SHEET, "method": "ResNet-50 with a 4-parameter logistic head", "parameters_m": 25.6, "gflops": 4.1,
             "input_size": "384x384", "ensemble": True, "extra_data": False},
    "Gamma": {**SHEET, "method": "CLIP ViT-B/16 prompts, fine-tuned", "parameters_m": 149.6, "gflops": 35.2,
              "code_url": ""},
}


@pytest.fixture
def running_challenge(challenge, team_users, coordinator, make_user, monkeypatch):  # noqa: F811
    """Three teams with scored development entries and final test entries, a baseline on each phase. The test
    scores and builds in process, so no Celery message is sent."""
    monkeypatch.setattr(tasks.submission_score_task, "delay", lambda **_message: None)
    monkeypatch.setattr(tasks.bundle_build_task, "delay", lambda **_message: None)
    gamma = make_user("gamma-lead")
    services.participant_register(challenge=challenge, user=gamma, accept_terms=True)
    services.team_create(challenge=challenge, name="Gamma", by=gamma)
    built_bundle(challenge)
    users = {"Alpha": team_users[0], "Beta": team_users[1], "Gamma": gamma}
    for (name, user), noise in zip(users.items(), (0.3, 1.1, 0.5), strict=True):
        for attempt, (kind, part) in enumerate((("development", "val"), ("development", "val"), ("test", "test"))):
            content = predictions_csv(part, noise=noise, seed=attempt)
            entry = submission_submit(phase=phase(challenge, kind), by=user, filename=f"{name.lower()}-{part}.csv",
                                      content=content)
            entry = submission_score_run(submission_id=entry.pk)
            if kind == "test":
                submission_mark_final(submission=entry, by=user, fact_sheet=SHEETS[name])
    for kind, part in (("development", "val"), ("test", "test")):
        services.baseline_add(phase=phase(challenge, kind), label="NIQE (run #1)", by=coordinator,
                              scores={name: float(index % 4) + index / 9 for index, name in
                                      enumerate(names_of(part))})
    return challenge, users


def test_challenge_pages_render_readable_offline(page_for, running_challenge, live_server, coordinator):
    challenge, users = running_challenge  # noqa: F811  (the fixture of the same name is imported above)
    page = page_for(users["Alpha"], viewport=(1280, 900))
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/challenges/")
    page.click(f"text={challenge.title}")
    assert "NTIRE 2024" in page.text_content("#score-formula")
    assert page.locator("#phases tbody tr").count() == 2
    page.set_input_files("#phase-" + str(phase(challenge, "development").pk) + " input[type=file]",
                         files=[{"name": "broken.csv", "mimeType": "text/csv",
                                 "buffer": b"image,score\nimg10.png,1\nimg10.png,2\nimg99.png,x\n"}])
    page.click(f"#phase-{phase(challenge, 'development').pk} button[type=submit]")
    assert "repeats line 2" in page.text_content("#refusal")
    assert errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    errors.clear()  # the refusal answers 400, as it should; nothing else may log an error
    test = phase(challenge, "test")
    assert "Swin-T regressor" in page.input_value(f"#phase-{test.pk} textarea[name=method]")
    assert page.evaluate(NO_OVERFLOW)
    screenshot(page, "challenge-page")

    hidden = f"{live_server.url}/challenges/{challenge.slug}/phases/{test.pk}/"
    page.goto(hidden)
    finals = Submission.objects.filter(phase=test, is_final=True)
    assert page.locator("#hidden-note").count() == 1 and finals.count() == 3
    assert not [entry.pk for entry in finals if f"{entry.scores['score']:.4f}" in page.text_content("#leaderboard")]
    assert "Swin-T" not in page.text_content("#leaderboard"), "no fact sheet before the results are out"
    services.phase_publish(phase=test, by=coordinator)

    page.click("text=Development leaderboard")
    page.wait_for_load_state("networkidle")
    assert [cell.strip() for cell in page.locator("#leaderboard tr.entry td:nth-child(2)").all_text_contents()] == [
        "Alpha", "Gamma", "Beta"]
    assert page.locator("#scatter-hidden").count() == 1 and page.locator("tr.baseline").count() == 1
    assert page.evaluate(NO_OVERFLOW)
    screenshot(page, "challenge-leaderboard-dev")

    charts = open_dashboard(page, hidden)
    legend = page.locator("#chart-scatter-alpha .legendtext").all_text_contents()
    assert len(charts) == 4 and legend == ["images", "4th-order polynomial"]
    assert page.locator("#leaderboard tr.entry").count() == 3 and "384x384" in page.text_content("#leaderboard")
    assert page.evaluate(NO_OVERFLOW)
    screenshot(page, "challenge-leaderboard-test")
    with page.expect_download() as download_info:
        page.click("#final-table")
    table = download_info.value.path().read_text().splitlines()
    assert table[0].startswith("rank,team,main score") and table[-1].startswith(",baseline: NIQE (run #1),")
    with page.expect_download() as download_info:
        page.locator("figure.chart [data-download=svg]").first.click()
    assert download_info.value.path().read_bytes().lstrip().startswith(b"<svg")
    assert errors == []
