"""Submitting, limits, scoring, final entries, leaderboards, baselines and the final table (scoring run inline)."""
import datetime as dt
import io
import zipfile

import pytest

from challenges import leaderboards, selectors, services
from challenges.models import FactSheet, Submission
from challenges.submission_services import submission_mark_final, submission_score_run, submission_submit
from common.errors import DomainError, PermissionDeniedError
from moslab_science.metrics import evaluate_predictions

from .conftest import mos_of, names_of, phase, predictions_csv

pytestmark = pytest.mark.django_db
SHEET = {"method": "Swin-T regressor", "parameters_m": 28.3, "input_size": "224x224", "gflops": 4.5,
         "ensemble": False, "extra_data": True, "code_url": "https://example.org/code"}


def submit(challenge, user, kind="development", **options):
    part = "val" if kind == "development" else "test"
    content = options.pop("content", None) or predictions_csv(part, **options)
    submission = submission_submit(phase=phase(challenge, kind), by=user, filename="pred.csv", content=content)
    return submission_score_run(submission_id=submission.pk)


def test_a_valid_file_is_stored_and_scored_against_the_hidden_mos(challenge, team_users, media_root):
    content = predictions_csv("val", noise=0.7)
    submission = submission_submit(phase=phase(challenge, "development"), by=team_users[0], filename="p.csv",
                                   content=content)
    assert submission.status == "queued" and (media_root / submission.file.name).read_bytes() == content
    assert submission.file.name.startswith(f"challenges/{challenge.pk}/submissions/{submission.team_id}/")
    scored = submission_score_run(submission_id=submission.pk)
    assert scored.status == "succeeded", scored.error
    names = names_of("val")
    expected = evaluate_predictions([submission.predictions[name] for name in names],
                                    [mos_of(int(name[3:5])) for name in names], resamples=0)
    assert scored.scores["score"] == pytest.approx(expected.scores["ntire2024"])
    assert scored.scores["srcc"] == pytest.approx(expected.srcc) and scored.scores["n"] == 4
    assert {"srcc", "plcc", "krcc", "plcc_poly3", "score", "n"} <= set(scored.scores)
    assert submission_score_run(submission_id=submission.pk).finished_at == scored.finished_at, "scored once"


def test_an_invalid_file_is_refused_with_its_lines_and_counts_for_nothing(challenge, team_users):
    bad = b"image,score\nimg10.png,1\nimg10.png,2\nimg11.png,x\nimg00.png,3\n"
    with pytest.raises(DomainError) as caught:
        submission_submit(phase=phase(challenge, "development"), by=team_users[0], filename="bad.csv", content=bad)
    assert "line 3: 'img10.png' repeats line 2 (one row per image)" in caught.value.problems
    assert "line 4: score of 'img11.png' is 'x', not a finite number" in caught.value.problems
    assert "line 5: 'img00.png' is not an image of the val part" in caught.value.problems
    assert any("have no prediction: 'img12.png', 'img13.png'" in p for p in caught.value.problems)
    assert not Submission.objects.exists()
    quota = selectors.submission_quota(phase=phase(challenge, "development"), team_id=team_users[0].pk)
    assert quota.used_today == 0


def test_the_same_file_again_returns_the_first_submission(challenge, team_users):
    first = submit(challenge, team_users[0])
    again = submission_submit(phase=phase(challenge, "development"), by=team_users[0], filename="again.csv",
                              content=predictions_csv("val"))
    assert again.pk == first.pk and Submission.objects.count() == 1
    other_team = submission_submit(phase=phase(challenge, "development"), by=team_users[1], filename="p.csv",
                                   content=predictions_csv("val"))
    assert other_team.pk != first.pk


def test_limits_per_utc_day_and_per_phase(challenge, team_users):
    alpha = team_users[0]
    for seed in range(3):
        submit(challenge, alpha, noise=0.3, seed=seed)
    with pytest.raises(DomainError, match="used its 3 submission.s. of today .UTC."):
        submit(challenge, alpha, noise=0.3, seed=3)
    submit(challenge, team_users[1], noise=0.3, seed=3)  # another team has its own limit
    team_id = selectors.participant_get(challenge=challenge, user=alpha).team_id
    Submission.objects.filter(team=team_id).update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    submit(challenge, alpha, noise=0.3, seed=4)
    submit(challenge, alpha, noise=0.3, seed=5)
    with pytest.raises(DomainError, match="used all 5 submissions of this phase"):
        submit(challenge, alpha, noise=0.3, seed=6)
    quota = selectors.submission_quota(phase=phase(challenge, "development"), team_id=team_id)
    assert (quota.used_today, quota.left_today, quota.used_total, quota.left_total) == (2, 1, 5, 0)


def test_a_failed_scoring_counts_for_nothing(challenge, team_users):
    submission = submission_submit(phase=phase(challenge, "test"), by=team_users[0], filename="p.csv",
                                   content=predictions_csv("test"))
    Submission.objects.filter(pk=submission.pk).update(predictions={"img14.png": 1.0})  # as if the file were lost
    failed = submission_score_run(submission_id=submission.pk)
    assert failed.status == "failed" and "do not cover exactly" in failed.error
    second = submit(challenge, team_users[0], kind="test", noise=0.2)
    third = submit(challenge, team_users[0], kind="test", noise=0.4)
    assert second.status == third.status == "succeeded"


def test_a_zip_submission_and_the_need_for_a_team(challenge, team_users, make_user):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("answer.csv", predictions_csv("val"))
    submission = submission_submit(phase=phase(challenge, "development"), by=team_users[0], filename="a.zip",
                                   content=buffer.getvalue())
    assert submission.file.name.endswith(".zip") and len(submission.predictions) == 4
    loner = make_user("loner")
    services.participant_register(challenge=challenge, user=loner, accept_terms=True)
    with pytest.raises(DomainError, match="Create or join a team"):
        submission_submit(phase=phase(challenge, "development"), by=loner, filename="p.csv",
                          content=predictions_csv("val"))
    with pytest.raises(PermissionDeniedError, match="Register"):
        submission_submit(phase=phase(challenge, "development"), by=make_user("x"), filename="p.csv",
                          content=predictions_csv("val"))


def test_teams_read_only_their_own_submissions(challenge, team_users, coordinator):
    alpha, beta = team_users
    mine = submit(challenge, alpha)
    theirs = submit(challenge, beta, noise=0.5)
    assert [view.id for view in selectors.team_submissions(challenge=challenge, user=alpha)] == [mine.pk]
    assert selectors.submission_get_for_user(challenge=challenge, submission_id=mine.pk, user=alpha).scores
    for submission_id in (theirs.pk, "1 or 1=1", 99999):
        with pytest.raises(PermissionDeniedError):
            selectors.submission_get_for_user(challenge=challenge, submission_id=submission_id, user=alpha)
    with pytest.raises(PermissionDeniedError):
        selectors.submissions_for_organiser(challenge=challenge, user=alpha)
    assert len(selectors.submissions_for_organiser(challenge=challenge, user=coordinator)) == 2


def test_the_development_leaderboard_ranks_each_teams_best_entry(challenge, team_users, coordinator):
    alpha, beta = team_users
    submit(challenge, alpha, noise=1.5)
    best = submit(challenge, alpha)  # exact ranking of the MOS: the best possible
    beta_entry = submit(challenge, beta, noise=0.9)
    board = leaderboards.leaderboard(phase=phase(challenge, "development"), user=beta)
    assert board.scores_visible and [row.team for row in board.rows] == ["Alpha", "Beta"]
    # 4 validation images: a paired bootstrap cannot tell the teams apart, so they share the first rank
    assert [row.rank for row in board.rows] == [1, 1] and board.rows[0].submission_id == best.pk
    assert "only 4 items" in board.ranking_note and "cannot be told apart" in board.ranking_note
    assert all(row.ci_low <= row.score <= row.ci_high for row in board.rows)
    assert board.rows[1].score == pytest.approx(beta_entry.scores["score"]) and board.rows[0].srcc == 1.0
    assert board.score_text.startswith("NTIRE 2024")


def test_test_scores_stay_hidden_until_published(challenge, team_users, coordinator):
    alpha, beta = team_users
    test = phase(challenge, "test")
    entry = submit(challenge, alpha, kind="test", noise=0.2)
    view = selectors.team_submissions(challenge=challenge, user=alpha, phase=test)[0]
    assert view.status == "succeeded" and view.scores is None and view.scores_hidden
    submission_mark_final(submission=entry, by=alpha, fact_sheet=SHEET)
    board = leaderboards.leaderboard(phase=test, user=beta)
    assert not board.scores_visible and board.rows[0].team == "Alpha"
    assert (board.rows[0].rank, board.rows[0].score, board.rows[0].srcc, board.rows[0].plcc) == (None,) * 4
    for reader in (leaderboards.final_table_rows, leaderboards.final_table_csv, leaderboards.leaderboard_scatter):
        with pytest.raises(PermissionDeniedError):
            reader(phase=test, user=alpha)
    assert leaderboards.leaderboard(phase=test, user=coordinator).rows[0].score == pytest.approx(entry.scores["score"])
    with pytest.raises(PermissionDeniedError):
        services.phase_publish(phase=test, by=alpha)
    services.phase_publish(phase=test, by=coordinator)
    test.refresh_from_db()
    assert leaderboards.leaderboard(phase=test, user=beta).rows[0].rank == 1
    assert selectors.team_submissions(challenge=challenge, user=alpha, phase=test)[0].scores["n"] == 6
    with pytest.raises(DomainError, match="published; final entries cannot change"):
        submission_mark_final(submission=entry, by=alpha, fact_sheet=SHEET)


def test_one_final_entry_per_team_and_phase_with_its_fact_sheet(challenge, team_users):
    alpha, beta = team_users
    first = submit(challenge, alpha, kind="test", noise=0.3)
    second = submit(challenge, alpha, kind="test", noise=0.1)
    with pytest.raises(DomainError, match="fact sheet is incomplete"):
        submission_mark_final(submission=first, by=alpha, fact_sheet={"method": "x"})
    with pytest.raises(PermissionDeniedError):
        submission_mark_final(submission=first, by=beta, fact_sheet=SHEET)
    submission_mark_final(submission=first, by=alpha, fact_sheet=SHEET)
    submission_mark_final(submission=second, by=alpha, fact_sheet={**SHEET, "ensemble": "yes"})
    assert list(Submission.objects.filter(is_final=True).values_list("pk", flat=True)) == [second.pk]
    assert FactSheet.objects.get(submission=second).ensemble is True
    queued = submission_submit(phase=phase(challenge, "development"), by=alpha, filename="p.csv",
                               content=predictions_csv("val"))
    with pytest.raises(DomainError, match="Only a scored submission can be final; this one is queued"):
        submission_mark_final(submission=queued, by=alpha, fact_sheet=SHEET)


def test_baselines_are_scored_at_once_and_listed_apart(challenge, team_users, coordinator):
    dev = phase(challenge, "development")
    scores = {name: float(index) for index, name in enumerate(names_of("val"))}
    baseline = services.baseline_add(phase=dev, label="ResNet-50 (moslab run 3)", scores=scores, by=coordinator)
    assert baseline.scores["n"] == 4 and -1 <= baseline.scores["srcc"] <= 1
    assert services.baseline_add(phase=dev, label="ResNet-50 (moslab run 3)", scores=scores, by=coordinator) == \
        baseline
    with pytest.raises(DomainError, match="other predictions"):
        services.baseline_add(phase=dev, label="ResNet-50 (moslab run 3)", scores={**scores, "img10.png": 9.0},
                              by=coordinator)
    with pytest.raises(DomainError) as caught:
        services.baseline_add(phase=dev, label="Bad", scores={"img10.png": 1.0, "img00.png": 2.0}, by=coordinator)
    assert any("'img00.png' is not an image of the val part" in problem for problem in caught.value.problems)
    with pytest.raises(PermissionDeniedError):
        services.baseline_add(phase=dev, label="Mine", scores=scores, by=team_users[0])
    board = leaderboards.leaderboard(phase=dev, user=team_users[0])
    assert board.rows == [] and [row.team for row in board.baselines] == ["ResNet-50 (moslab run 3)"]
    assert board.baselines[0].is_baseline and board.baselines[0].rank is None


def test_the_published_final_table_and_scatter_plots(challenge, team_users, coordinator):
    alpha, beta = team_users
    test = phase(challenge, "test")
    for user, noise, sheet in ((alpha, 0.9, SHEET), (beta, 0.0, {**SHEET, "parameters_m": 120, "ensemble": True})):
        submission_mark_final(submission=submit(challenge, user, kind="test", noise=noise), by=user, fact_sheet=sheet)
    services.baseline_add(phase=test, label="NIQE", scores={name: -float(i) for i, name in enumerate(names_of("test"))},
                          by=coordinator)
    services.phase_publish(phase=test, by=coordinator)
    test.refresh_from_db()
    lines = leaderboards.final_table_csv(phase=test, user=alpha).splitlines()
    assert lines[0] == "rank,team,main score,SRCC,PLCC,params (M),input size,GFLOPs,ensemble,extra data"
    assert lines[1].startswith("1,Beta,1.0000,1.0000,") and lines[1].endswith(",120,224x224,4.5,yes,yes")
    # 6 test images: the paired bootstrap cannot separate the teams, so both hold rank 1 (Beta's score is higher)
    assert lines[2].startswith("1,Alpha,") and lines[2].endswith(",28.3,224x224,4.5,no,yes")
    assert lines[3].startswith(",baseline: NIQE,")
    series = leaderboards.leaderboard_scatter(phase=test, user=alpha)
    assert [(s.label, s.is_baseline) for s in series] == [("Beta", False), ("Alpha", False), ("NIQE", True)]
    beta_series = series[0]
    assert sorted(beta_series.mos) == sorted(mos_of(int(name[3:5])) for name in names_of("test"))
    assert sorted(beta_series.names) == sorted(names_of("test"))
