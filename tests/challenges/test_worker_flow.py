"""A whole challenge with a real Celery worker: create, register two teams, download, submit, score, publish,
export the final table."""
import io
import zipfile

import pytest

from challenges import leaderboards, selectors, services
from challenges.models import ParticipantBundle, Submission
from challenges.submission_services import submission_mark_final, submission_submit
from common.errors import DomainError
from tests.worker import wait_for

from .conftest import leaks, names_of, predictions_csv, window

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
SHEET = {"method": "ViT + rank loss", "parameters_m": 86.6, "input_size": "224x224", "gflops": 17.6,
         "ensemble": False, "extra_data": False, "code_url": "https://example.org/a"}


def scored(submission: Submission) -> Submission:
    wait_for(lambda: Submission.objects.get(pk=submission.pk).status in ("succeeded", "failed"),
             what=f"the worker to score submission {submission.pk}")
    submission.refresh_from_db()
    assert submission.status == "succeeded", submission.error
    return submission


def test_a_whole_challenge(celery_worker_process, dataset_version, coordinator, make_user):
    challenge = services.challenge_create(
        version=dataset_version, split=dataset_version.splits.get(name="official"), slug="ntire-like",
        title="NTIRE-like IQA", rules="One final entry per team.", terms="No hand labelling.",
        score_spec={"formula": "ntire2024"}, by=coordinator, is_public=True,
    )
    opens, closes = window()
    dev = services.phase_add(challenge=challenge, kind="development", part="val", opens_at=opens, closes_at=closes,
                             max_per_day=5, max_total=10, by=coordinator)
    test = services.phase_add(challenge=challenge, kind="test", part="test", opens_at=opens, closes_at=closes,
                              max_per_day=2, max_total=3, by=coordinator)
    users = {}
    for name in ("Alpha", "Beta"):
        users[name] = make_user(name.lower())
        services.participant_register(challenge=challenge, user=users[name], accept_terms=True)
        services.team_create(challenge=challenge, name=name, by=users[name])

    wait_for(lambda: challenge.bundles.filter(status=ParticipantBundle.Status.SUCCEEDED).exists(),
             what="the worker to build the participants' download")
    bundle = selectors.challenge_bundle_for_user(challenge=challenge, user=users["Alpha"])
    with bundle.file.open("rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    assert "val.csv" in archive.namelist() and len([n for n in archive.namelist() if n.startswith("images/")]) == 20
    assert not [leak for member in archive.namelist() for leak in leaks(archive.read(member).decode("latin-1"))]
    assert "Test: predictions for every image of `test.csv`" in archive.read("README.md").decode()

    with pytest.raises(DomainError) as caught:
        submission_submit(phase=dev, by=users["Alpha"], filename="bad.csv",
                          content=b"image,score\nimg10.png,1\nimg10.png,1.5\n")
    assert "line 3: 'img10.png' repeats line 2 (one row per image)" in caught.value.problems
    # noise 2 swaps two of the 4 validation images (SRCC 0.8); a smaller one would keep their order, and a
    # cubic fit through 4 points is exact, so both teams would score 1.0 and the earlier submission would lead
    alpha_dev = scored(submission_submit(phase=dev, by=users["Alpha"], filename="a.csv",
                                         content=predictions_csv("val", noise=2.0)))
    beta_dev = scored(submission_submit(phase=dev, by=users["Beta"], filename="b.csv",
                                        content=predictions_csv("val")))
    board = leaderboards.leaderboard(phase=dev, user=users["Alpha"])
    assert alpha_dev.scores["srcc"] < beta_dev.scores["srcc"] == 1.0
    assert [row.team for row in board.rows] == ["Beta", "Alpha"] and board.rows[0].score == beta_dev.scores["score"]
    assert board.rows[1].srcc == pytest.approx(alpha_dev.scores["srcc"])

    for name, noise in (("Alpha", 0.0), ("Beta", 0.9)):
        entry = scored(submission_submit(phase=test, by=users[name], filename="t.csv",
                                         content=predictions_csv("test", noise=noise)))
        submission_mark_final(submission=entry, by=users[name], fact_sheet=SHEET)
        assert selectors.team_submissions(challenge=challenge, user=users[name], phase=test)[0].scores is None
    services.baseline_add(phase=test, label="NIQE", scores={name: float(len(name) + i) for i, name in
                                                            enumerate(names_of("test"))}, by=coordinator)
    hidden = leaderboards.leaderboard(phase=test, user=users["Beta"])
    assert not hidden.scores_visible and {row.score for row in hidden.rows} == {None}

    services.phase_publish(phase=test, by=coordinator)
    test.refresh_from_db()
    table = leaderboards.final_table_csv(phase=test, user=users["Beta"]).splitlines()
    assert table[0] == "rank,team,main score,SRCC,PLCC,params (M),input size,GFLOPs,ensemble,extra data"
    # 6 test images: too few for the paired bootstrap to separate the teams, so they share rank 1
    assert table[1].startswith("1,Alpha,1.0000,1.0000,") and table[2].startswith("1,Beta,")
    assert table[3].startswith(",baseline: NIQE,") and len(table) == 4
    assert [series.label for series in leaderboards.leaderboard_scatter(phase=test, user=users["Beta"])] == \
        ["Alpha", "Beta", "NIQE"]
