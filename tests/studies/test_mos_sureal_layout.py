"""Sureal-mode BT.500 through the app: a lone dissenting vote among 21 lies exactly on the outlier bound
(|x - mean| = k x s), so the side it falls on is decided by float rounding. The app's computation must round as
the command line does (the vote matrix is C-ordered whatever path built it), so both reject the dissenter."""
import csv
import uuid

import numpy as np
import pytest

from moslab_science.mos.cli import compute
from studies import services
from studies.models import Membership, MosComputation, SubjectReport
from tests.conftest import write_image

pytestmark = pytest.mark.django_db
STIMULI, RATERS = 20, 21
DISSENTER = "r00"  # sorted first; dissents high on s00 (5 among 3s) and low on s01 (2 among 3s)


def lone_dissent_votes() -> np.ndarray:
    """(stimuli, raters) votes 1..5: everyone agrees on s00 and s01 but the dissenter; elsewhere the votes vary
    and the dissenter votes the others' rounded mean."""
    rng = np.random.default_rng(7)
    quality = np.linspace(1.5, 4.5, STIMULI)
    votes = np.clip(np.rint(quality[:, None] + rng.normal(0, 0.7, (STIMULI, RATERS))), 1, 5)
    votes[:, 0] = np.clip(np.rint(votes[:, 1:].mean(axis=1)), 1, 5)
    votes[0], votes[1] = 3.0, 3.0
    votes[0, 0], votes[1, 0] = 5.0, 2.0
    return votes


@pytest.fixture
def dissent_study(coordinator, make_user, tmp_path):
    votes = lone_dissent_votes()
    for index in range(STIMULI):
        write_image(tmp_path / "images" / f"s{index:02d}.png", seed=200 + index)
    study = services.study_create(name="Lone dissent", slug="lone-dissent", created_by=coordinator,
                                  raters_per_stimulus=RATERS)
    services.stimuli_import(study=study, source=tmp_path / "images")
    study.status = study.Status.OPEN
    study.save()
    stimuli = list(study.stimuli.order_by("name"))
    for column in range(RATERS):
        rater = make_user(f"r{column:02d}")
        services.membership_add(study=study, user=rater, role=Membership.Role.ANNOTATOR)
        for stimulus, score in zip(stimuli, votes[:, column], strict=True):
            services.rating_record(study=study, stimulus=stimulus, rater=rater, score=float(score),
                                   client_id=uuid.uuid4(), details={"verified": True})
    table = tmp_path / "votes.csv"
    with table.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["stimulus", "subject", "score"])
        writer.writerows([f"s{row:02d}", f"r{column:02d}", votes[row, column]]
                         for row in range(STIMULI) for column in range(RATERS))
    return study, table


def test_app_and_command_line_reject_the_lone_dissenter_alike(dissent_study, coordinator):
    study, table = dissent_study
    command_line = compute(table, "bt500", "sureal", 1, 5)["subjects"]
    assert (command_line[DISSENTER]["P"], command_line[DISSENTER]["Q"]) == (1, 1)
    assert command_line[DISSENTER]["rejected"]

    computation = services.mos_computation_start(study=study, by=coordinator, method="bt500", mode="sureal")
    computation = services.mos_computation_run(computation_id=computation.pk)
    assert computation.status == MosComputation.Status.SUCCEEDED, computation.error
    reports = {report.rater.username: report for report in
               SubjectReport.objects.filter(computation=computation).select_related("rater")}
    assert (reports[DISSENTER].p_count, reports[DISSENTER].q_count) == (1, 1)
    assert reports[DISSENTER].rejected
    assert {name: (r.p_count, r.q_count, r.rejected) for name, r in reports.items()} == {
        name: (row["P"], row["Q"], row["rejected"]) for name, row in command_line.items()}
    assert {result.count for result in computation.results.all()} == {RATERS - sum(
        row["rejected"] for row in command_line.values())}
