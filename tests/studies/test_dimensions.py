"""Per-dimension MOS: votes of one dimension in, that dimension's MOS, screening and subject reports out;
the single-score default untouched; the study page and the `mos` command take the dimension."""
import json
import uuid

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from common.errors import DomainError
from moslab_science.mos.errors import MosInputError
from studies import selectors, services
from studies.models import MosComputation, Rating, StudyProtocol, SubjectReport
from studies.mos_adapter import study_score_matrix
from tests.studies.conftest import CLIPS, RATERS, dimension_quality

pytestmark = pytest.mark.django_db


def run(study, coordinator, method="mean", dimension="") -> MosComputation:
    computation = services.mos_computation_start(study=study, by=coordinator, method=method, dimension=dimension)
    computation = services.mos_computation_run(computation_id=computation.pk)
    assert computation.status == MosComputation.Status.SUCCEEDED, computation.error
    return computation


def mos_by_name(computation) -> dict[str, float]:
    return {result.stimulus.name: result.mos for result in computation.results.select_related("stimulus")}


def test_one_submission_stores_one_vote_per_dimension_and_is_idempotent(video_study):
    stimulus = video_study.stimuli.order_by("name").first()
    rater = Rating.objects.filter(study=video_study).first().rater
    client_id = uuid.uuid4()
    stored = [services.rating_record(study=video_study, stimulus=stimulus, rater=rater, score=score,
                                     client_id=client_id, dimension=dimension)
              for dimension, score in (("technical", 40), ("aesthetic", 70))]
    assert all(created for _, created in stored)
    again, created = services.rating_record(study=video_study, stimulus=stimulus, rater=rater, score=70,
                                            client_id=client_id, details={"dimension": "aesthetic"})
    assert not created and again.pk == stored[1][0].pk, "the same submission again is the stored vote"
    with pytest.raises(DomainError, match="already used for another vote"):
        services.rating_record(study=video_study, stimulus=stimulus, rater=rater, score=10, client_id=client_id,
                               dimension="technical")
    with pytest.raises(DomainError, match="Two dimensions"):
        services.rating_record(study=video_study, stimulus=stimulus, rater=rater, score=10, client_id=uuid.uuid4(),
                               dimension="technical", details={"dimension": "aesthetic"})


def test_each_dimension_gets_the_mos_of_its_own_votes(video_study, coordinator):
    quality = dimension_quality()
    names = [stimulus.name for stimulus in video_study.stimuli.order_by("name")]
    for dimension in ("aesthetic", "alignment"):
        computation = run(video_study, coordinator, "mean", dimension)
        assert computation.dimension == dimension and computation.num_ratings == CLIPS * RATERS
        mos = mos_by_name(computation)
        expected = {name: np.mean([r.score for r in Rating.objects.filter(stimulus__name=name, dimension=dimension,
                                                                            study=video_study)]) for name in names}
        assert mos == pytest.approx(expected, abs=1e-9)
        assert np.corrcoef([mos[name] for name in names], quality[dimension])[0, 1] > 0.95
    technical = mos_by_name(run(video_study, coordinator, "mean", "technical"))
    aesthetic = mos_by_name(run(video_study, coordinator, "mean", "aesthetic"))
    assert np.corrcoef([technical[n] for n in names], [aesthetic[n] for n in names])[0, 1] < 0


def test_screening_runs_per_dimension(video_study, coordinator):
    """rater5 inverted the technical scale only: rejected there, kept on the other dimensions."""
    inverted = Rating.objects.filter(study=video_study, rater__username="rater5").first().rater
    technical = run(video_study, coordinator, "correlation", "technical")
    report = SubjectReport.objects.get(computation=technical, rater=inverted)
    assert report.rejected and report.pearson < 0 and report.num_votes == CLIPS
    assert {result.count for result in technical.results.all()} == {RATERS - 1}
    for dimension in ("aesthetic", "alignment"):
        computation = run(video_study, coordinator, "correlation", dimension)
        assert not SubjectReport.objects.get(computation=computation, rater=inverted).rejected
        assert {result.count for result in computation.results.all()} == {RATERS}
    bt500 = run(video_study, coordinator, "bt500", "aesthetic")
    assert bt500.subject_reports.count() == RATERS and bt500.num_ratings == CLIPS * RATERS


def test_the_score_matrix_and_current_votes_are_per_dimension(video_study):
    stimulus = video_study.stimuli.order_by("name").first()
    rater = Rating.objects.filter(study=video_study, dimension="technical").first().rater
    first = Rating.objects.get(stimulus=stimulus, rater=rater, dimension="technical")
    relabel = services.rating_record(study=video_study, stimulus=stimulus, rater=rater, score=99,
                                     client_id=uuid.uuid4(), dimension="technical",
                                     details={"verified": True, "round": 1, "supersedes": first})[0]
    current = Rating.objects.filter(stimulus=stimulus, rater=rater).current()
    assert set(current.values_list("dimension", flat=True)) == {"technical", "aesthetic", "alignment"}
    assert current.get(dimension="technical").pk == relabel.pk, "the newest vote of each dimension counts"
    assert current.get(dimension="aesthetic").score == Rating.objects.get(
        stimulus=stimulus, rater=rater, dimension="aesthetic").score
    matrix = study_score_matrix(video_study, dimension="technical").matrix
    assert matrix.scores.shape == (CLIPS, RATERS, 1)
    assert matrix.scores[0, matrix.subject_ids.index(rater.username), 0] == 99
    with pytest.raises(MosInputError, match="empty"):
        study_score_matrix(video_study)  # no single-score votes here
    rating = Rating.objects.filter(study=video_study, dimension="alignment")
    rating.update(verified=False)
    computation = services.mos_computation_start(study=video_study, by=video_study.created_by, dimension="alignment")
    failed = services.mos_computation_run(computation_id=computation.pk)
    assert failed.status == MosComputation.Status.FAILED and "no verified vote of the 'alignment'" in failed.error


def test_single_score_votes_keep_todays_behaviour(open_study, annotators, coordinator):
    """Default dimension "": the single score's votes only, even when a study also holds dimension votes."""
    for index, stimulus in enumerate(open_study.stimuli.order_by("name")):
        for rater_index, rater in enumerate(annotators):
            services.rating_record(study=open_study, stimulus=stimulus, rater=rater, client_id=uuid.uuid4(),
                                   score=1 + (index + rater_index) % 5, details={"verified": True})
    single = run(open_study, coordinator)
    before = mos_by_name(single)
    stimulus = open_study.stimuli.order_by("name").first()
    services.rating_record(study=open_study, stimulus=stimulus, rater=annotators[0], score=5, client_id=uuid.uuid4(),
                           dimension="extra", details={"verified": True})
    again = run(open_study, coordinator)
    assert again.dimension == "" and mos_by_name(again) == before and again.num_ratings == single.num_ratings == 12
    assert selectors.study_dimensions(study=open_study) == [("extra", "extra")], "a voted dimension is listed"


def test_an_unknown_dimension_is_refused(video_study, open_study, coordinator):
    with pytest.raises(DomainError, match="Unknown rating dimension 'colour'; this study's are technical, aesthetic"):
        services.mos_computation_start(study=video_study, by=coordinator, dimension="colour")
    with pytest.raises(DomainError, match="this study rates a single score"):
        services.mos_computation_start(study=open_study, by=coordinator, dimension="technical")


@pytest.mark.parametrize("config, expected", [
    ({}, []),
    ({"dimensions": None}, []),
    ({"dimensions": "technical"}, []),
    ({"dimensions": ["technical", {"name": "aesthetic"}, {"label": "no name"}, 7, {"name": "technical"}]},
     [("technical", "technical"), ("aesthetic", "aesthetic")]),
    ({"dimensions": [{"name": " alignment ", "label": "Prompt alignment"}]}, [("alignment", "Prompt alignment")]),
    (["not", "an", "object"], []),
])
def test_protocol_dimensions_are_read_defensively(config, expected):
    assert selectors.protocol_dimensions(config) == expected


def test_the_newest_protocol_declares_the_dimensions(video_study, coordinator):
    assert [name for name, _ in selectors.study_dimensions(study=video_study)] == ["technical", "aesthetic",
                                                                                  "alignment"]
    StudyProtocol.objects.create(study=video_study, version=2, created_by=coordinator,
                                 config={"dimensions": [{"name": "overall", "label": "Overall"}]})
    assert selectors.study_dimensions(study=video_study)[0] == ("overall", "Overall")
    assert {name for name, _ in selectors.study_dimensions(study=video_study)} == {
        "overall", "technical", "aesthetic", "alignment"}, "dimensions voted under an earlier protocol stay"


def test_the_study_page_offers_the_dimensions_and_computes_the_one_chosen(client, video_study, coordinator):
    client.force_login(coordinator)
    page = client.get(reverse("studies:detail", args=[video_study.pk])).content.decode()
    assert '<select name="dimension">' in page and "Prompt alignment" in page
    response = client.post(reverse("studies:mos-create", args=[video_study.pk]),
                           {"method": "mean", "mode": "default", "dimension": "alignment"})
    computation = MosComputation.objects.get(study=video_study)
    assert response.status_code == 302 and computation.dimension == "alignment"
    services.mos_computation_run(computation_id=computation.pk)
    detail = client.get(reverse("studies:mos-detail", args=[video_study.pk, computation.pk])).content.decode()
    assert 'id="computation-dimension">alignment' in detail
    csv_response = client.get(reverse("studies:mos-csv", args=[video_study.pk, computation.pk]))
    assert f"t2v-mos-{computation.pk}-alignment.csv" in csv_response["Content-Disposition"]
    bad = client.post(reverse("studies:mos-create", args=[video_study.pk]), {"method": "mean", "dimension": "x"},
                      follow=True)
    assert "Unknown rating dimension" in bad.content.decode() and MosComputation.objects.count() == 1


def test_a_single_score_study_page_has_no_dimension_picker(client, open_study, coordinator):
    client.force_login(coordinator)
    assert 'name="dimension"' not in client.get(reverse("studies:detail", args=[open_study.pk])).content.decode()


def test_the_mos_command_computes_one_dimension_of_a_csv(tmp_path):
    rows = ["stimulus,subject,score,dimension"]
    for stimulus in range(5):
        for subject in range(4):
            rows.append(f"v{stimulus},s{subject},{1 + (stimulus + subject) % 5},technical")
            rows.append(f"v{stimulus},s{subject},{5 - stimulus % 5},aesthetic")
    path = tmp_path / "votes.csv"
    path.write_text("\n".join(rows) + "\n")
    out = tmp_path / "technical.json"
    call_command("mos", "compute", str(path), "--method", "mean", "--scale", "1", "5", "--dimension", "aesthetic",
                 "--out", str(out))
    result = json.loads(out.read_text())
    assert {name: row["mos"] for name, row in result["stimuli"].items()} == {f"v{e}": 5.0 - e for e in range(5)}
    with pytest.raises(CommandError, match="several rating dimensions \\('aesthetic', 'technical'\\)"):
        call_command("mos", "compute", str(path), "--method", "mean", "--scale", "1", "5", "--out", str(out))
    with pytest.raises(CommandError, match="no vote of dimension 'colour'"):
        call_command("mos", "compute", str(path), "--method", "mean", "--scale", "1", "5", "--dimension", "colour",
                     "--out", str(out))
    rows[3] = "v1,s0,9,aesthetic"  # off the scale, on CSV line 4
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(CommandError, match="row 4: score 9 is outside the scale"):
        call_command("mos", "compute", str(path), "--method", "mean", "--scale", "1", "5", "--dimension", "aesthetic",
                     "--out", str(out))


def test_precision_planning_and_coverage_count_raters_on_the_first_dimension(video_study):
    from annotation.precision import precision_plan
    from annotation.selectors import stimulus_coverage

    plan = precision_plan(study=video_study, target_half_width=5.0)
    assert len(plan) == CLIPS and all(item.votes == RATERS for item in plan)
    first = Rating.objects.filter(study=video_study, dimension="technical")
    stds = {item.stimulus.name: item.std for item in plan}
    stimulus = video_study.stimuli.order_by("name").first()
    scores = np.array(first.filter(stimulus=stimulus).values_list("score", flat=True), dtype=float)
    assert stds[stimulus.name] == pytest.approx(scores.std(ddof=1))
    assert {row["verified"] for row in stimulus_coverage(study=video_study)} == {RATERS}
