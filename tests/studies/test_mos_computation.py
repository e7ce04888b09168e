"""MOS computations in the app: every method, screening reports, and audited coordinator overrides."""
import uuid

import numpy as np
import pytest

from common.errors import DomainError
from studies import services
from studies.models import Membership, MosComputation, Rating, StimulusMos, SubjectDecision, SubjectReport
from studies.selectors import study_progress
from tests.conftest import write_image

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated_study(coordinator, make_user, tmp_path):
    """12 stimuli x 8 raters: 7 agree with a known quality, one votes the scale upside down."""
    folder = tmp_path / "s"
    for index in range(12):
        write_image(folder / f"s{index:02d}.png", seed=100 + index)
    study = services.study_create(name="Rated", slug="rated", created_by=coordinator, raters_per_stimulus=8)
    services.stimuli_import(study=study, source=folder)
    study.status = study.Status.OPEN
    study.save()
    rng = np.random.default_rng(5)
    quality = np.linspace(1.3, 4.7, 12)
    raters = [make_user(f"r{index}") for index in range(8)]
    for rater_index, rater in enumerate(raters):
        services.membership_add(study=study, user=rater, role=Membership.Role.ANNOTATOR)
        for stimulus, q in zip(study.stimuli.order_by("name"), quality, strict=True):
            value = 6 - q if rater_index == 7 else q + rng.normal(0, 0.4)
            score = float(np.clip(np.rint(value), 1, 5))
            services.rating_record(study=study, stimulus=stimulus, rater=rater, score=score, client_id=uuid.uuid4(),
                                   details={"verified": True})
    return study, raters


def run(study, coordinator, method, mode="default", parameters=None) -> MosComputation:
    computation = services.mos_computation_start(study=study, by=coordinator, method=method, mode=mode,
                                                 parameters=parameters)
    return services.mos_computation_run(computation_id=computation.pk)


@pytest.mark.parametrize("method", MosComputation.Method.values)
@pytest.mark.parametrize("mode", MosComputation.Mode.values)
def test_every_method_and_mode_stores_results_and_reports(rated_study, coordinator, method, mode):
    study, raters = rated_study
    computation = run(study, coordinator, method, mode)
    assert computation.status == MosComputation.Status.SUCCEEDED, computation.error
    assert computation.results.count() == 12
    assert all(result.mos is not None for result in computation.results.all())
    assert computation.subject_reports.count() == 8
    assert computation.num_ratings == 96


def test_correlation_screening_rejects_the_inverted_rater_and_keeps_the_votes(rated_study, coordinator):
    study, raters = rated_study
    computation = run(study, coordinator, "correlation")
    report = SubjectReport.objects.get(computation=computation, rater=raters[7])
    assert report.rejected and report.automatic_rejected and report.reason
    assert report.pearson < 0
    assert SubjectReport.objects.filter(computation=computation, rejected=True).count() == 1
    assert Rating.objects.filter(rater=raters[7]).count() == 12, "rejected votes are kept"
    assert {result.count for result in computation.results.all()} == {7}


def test_overrides_apply_and_stay_on_record(rated_study, coordinator):
    study, raters = rated_study
    before = {r.stimulus_id: r.mos for r in run(study, coordinator, "correlation").results.all()}
    services.subject_decision_record(study=study, rater=raters[7], decision="keep", reason="checked by phone",
                                     by=coordinator)
    services.subject_decision_record(study=study, rater=raters[0], decision="reject", reason="saw the answers",
                                     by=coordinator)
    after = run(study, coordinator, "correlation")
    reports = {report.rater_id: report for report in after.subject_reports.all()}
    assert not reports[raters[7].pk].rejected and reports[raters[7].pk].automatic_rejected
    assert reports[raters[0].pk].rejected and "saw the answers" in reports[raters[0].pk].reason
    assert {result.count for result in after.results.all()} == {7}
    assert any(abs(result.mos - before[result.stimulus_id]) > 1e-9 for result in after.results.all())
    services.subject_decision_record(study=study, rater=raters[7], decision="automatic", reason="undo",
                                     by=coordinator)
    again = run(study, coordinator, "correlation")
    assert SubjectReport.objects.get(computation=again, rater=raters[7]).rejected
    assert SubjectDecision.objects.filter(study=study).count() == 3, "every decision is kept"


def test_mos_counts_each_raters_latest_verified_vote_only(rated_study, coordinator):
    study, raters = rated_study
    stimulus = study.stimuli.order_by("name").first()
    original = Rating.objects.get(stimulus=stimulus, rater=raters[0])
    relabel = {"verified": True, "round": 1, "supersedes": original, "change_reason": "relabel"}
    services.rating_record(study=study, stimulus=stimulus, rater=raters[0], score=5, client_id=uuid.uuid4(),
                           details=relabel)
    services.rating_record(study=study, stimulus=stimulus, rater=raters[1], score=1, client_id=uuid.uuid4(),
                           details={"round": 1, "change_reason": "awaiting the cross-check"})
    services.rating_record(study=study, stimulus=stimulus, rater=raters[2], score=1, client_id=uuid.uuid4(),
                           details={"purpose": Rating.Purpose.REPEAT, "verified": True})
    computation = run(study, coordinator, "mean")
    counted = {r.pk: r.score for r in Rating.objects.filter(stimulus=stimulus, rater__in=raters[1:])
               if r.verified and r.purpose == Rating.Purpose.RATING}
    expected = [5.0, *counted.values()]
    result = computation.results.get(stimulus=stimulus)
    assert result.count == 8 and result.mos == pytest.approx(np.mean(expected), abs=1e-12)
    assert computation.num_ratings == 96, "a relabel replaces the vote, it does not add one"


def test_warnings_name_stimuli_and_raters_not_database_ids(rated_study, coordinator):
    study, raters = rated_study
    lonely = study.stimuli.order_by("name").last()
    Rating.objects.filter(stimulus=lonely).exclude(rater=raters[0]).update(verified=False)
    computation = run(study, coordinator, "mean")
    assert computation.status == MosComputation.Status.SUCCEEDED, computation.error
    named = [w for w in computation.warnings if lonely.name in w["stimuli"]]
    assert named and lonely.name in named[0]["message"]
    assert str(lonely.pk) not in named[0]["stimuli"]


def test_override_needs_a_reason_and_a_known_rater(rated_study, coordinator, make_user):
    study, raters = rated_study
    with pytest.raises(DomainError, match="reason"):
        services.subject_decision_record(study=study, rater=raters[1], decision="reject", reason=" ", by=coordinator)
    with pytest.raises(DomainError, match="no votes"):
        services.subject_decision_record(study=study, rater=make_user("stranger"), decision="reject", reason="x",
                                         by=coordinator)
    with pytest.raises(DomainError, match="Unknown MOS method"):
        services.mos_computation_start(study=study, by=coordinator, method="median")


def test_empty_study_fails_with_a_clear_message(study, coordinator):
    computation = run(study, coordinator, "mean")
    assert computation.status == MosComputation.Status.FAILED
    assert "MosInputError" in computation.error


def test_pages_show_reports_and_only_coordinators_override(client, rated_study, coordinator, make_user):
    study, raters = rated_study
    computation = run(study, coordinator, "bt500")
    researcher = make_user("researcher")
    services.membership_add(study=study, user=researcher, role=Membership.Role.RESEARCHER)
    url = f"/studies/{study.pk}/mos/{computation.pk}/decisions/"
    body = {"rater": raters[7].pk, "decision": "keep", "reason": "x"}
    for user in (researcher, raters[0]):
        client.force_login(user)
        assert client.post(url, body).status_code == 404
    assert not SubjectDecision.objects.exists()
    client.force_login(coordinator)
    page = client.get(f"/studies/{study.pk}/mos/{computation.pk}/").content.decode()
    assert "subject-reports" in page and "r7" in page
    assert client.post(url, body).status_code == 302
    assert SubjectDecision.objects.get().decided_by == coordinator
    assert client.post(url, {**body, "rater": "abc"}).status_code == 404
    csv_text = client.get(f"/studies/{study.pk}/mos/{computation.pk}/subjects.csv").content.decode()
    assert csv_text.splitlines()[0].startswith("rater,votes,rejected,automatic_rejected,P,Q")
    assert len(csv_text.splitlines()) == 9


def test_progress_counts_raters_not_relabels_or_quality_votes(rated_study):
    study, raters = rated_study
    stimulus = study.stimuli.order_by("name").first()
    original = Rating.objects.get(stimulus=stimulus, rater=raters[0])
    services.rating_record(study=study, stimulus=stimulus, rater=raters[0], score=2, client_id=uuid.uuid4(),
                           details={"round": 1, "supersedes": original})
    services.rating_record(study=study, stimulus=stimulus, rater=raters[1], score=2, client_id=uuid.uuid4(),
                           details={"purpose": Rating.Purpose.GOLD})
    progress = study_progress(study=study)
    assert progress == {"stimuli": 12, "ratings": 96, "target_ratings": 96, "complete_stimuli": 12,
                        "awaiting_review": 0}


def test_deleting_a_computation_deletes_its_result_rows_only(rated_study, coordinator):
    """The results' link to their computation is not a database constraint (its lock guards the writes): the
    cascade that removes them with their computation is Django's."""
    study, _ = rated_study
    first, second = run(study, coordinator, "mean"), run(study, coordinator, "bt500")
    first.delete()
    assert not StimulusMos.objects.filter(computation_id=first.pk).exists()
    assert StimulusMos.objects.filter(computation_id=second.pk).count() == 12
