"""Several rating dimensions: protocol validation, one Rating per dimension stored atomically and idempotently,
the cross-check per dimension, gold on the first dimension, and the single-score path unchanged."""
import re
import uuid

import pytest

from annotation import (
    assignment_services,
    enrolment_services,
    protocol_services,
    review_services,
    selectors,
    session_services,
    voting_services,
)
from annotation.models import Enrolment, QualityItem, RatingTask, StimulusReview
from common.errors import DomainError
from moslab_science.rating.protocol import ProtocolError, protocol_from_dict
from studies.models import Rating
from tests.annotation.helpers import protocol_study

DIMENSIONS = [{"name": "technical", "label": "Technical quality"}, {"name": "aesthetic", "label": "Aesthetic quality"},
              {"name": "alignment", "label": "Prompt alignment"}]
RATINGS = "/api/annotation/studies/{study_id}/ratings/"


@pytest.mark.parametrize("dimensions, message", [
    ([{"name": "tech", "label": "T"}, {"name": "tech", "label": "Again"}], "dimension names must be unique (tech"),
    ([{"name": f"d{i}", "label": f"D{i}"} for i in range(7)], "at most 6 dimensions (7 given)"),
    ([{"name": "Technical", "label": "T"}, {"name": "b", "label": "B"}], "'Technical' must be a slug"),
    ([{"name": "a", "label": ""}, {"name": "b", "label": "B"}], "dimension 'a' needs a label"),
    ([{"name": "a", "label": "A", "weight": 2}, {"name": "b", "label": "B"}], "unknown settings weight"),
    ([{"name": "only", "label": "Only"}], "one dimension is the single score"),
    ("technical", "dimensions must be a list"),
])
def test_bad_dimensions_are_refused_with_what_to_fix(dimensions, message):
    with pytest.raises(ProtocolError, match=re.escape(message)):
        protocol_from_dict({"dimensions": dimensions}, scale_min=1, scale_max=5)


def test_dimensions_prompt_and_replay_reach_the_protocol_and_the_page():
    protocol = protocol_from_dict({"dimensions": DIMENSIONS, "show_prompt": True, "replay": False}, scale_min=1,
                                  scale_max=5)
    assert protocol.dimension_names == ("technical", "aesthetic", "alignment")
    client = protocol.as_client()
    assert [d["name"] for d in client["dimensions"]] == ["technical", "aesthetic", "alignment"]
    assert client["show_prompt"] is True and client["replay"] is False
    default = protocol_from_dict({}, scale_min=1, scale_max=5)
    assert default.dimension_names == ("",) and default.replay is True and default.show_prompt is False
    with pytest.raises(ProtocolError, match="replay must be true or false"):
        protocol_from_dict({"replay": "yes"}, scale_min=1, scale_max=5)


@pytest.fixture
def multi(coordinator, make_user, tmp_path):
    study, users = protocol_study(
        coordinator=coordinator, make_user=make_user, folder=tmp_path / "img", sources=2, per_source=1, annotators=2,
        gold=1, scale="slider100", raters_per_stimulus=2,
        config={"dimensions": DIMENSIONS, "consistency": {"min_range": 30, "max_deviation": None}, "gold_every": 2,
                "gold_pause_after": 1},
    )
    QualityItem.objects.filter(study=study, kind="gold").update(reference_score=80, tolerance=5)
    for user in users:
        enrolment_services.enrolment_accept_instructions(
            enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
    return study, users


def next_task(study, user):
    _, state = session_services.session_next(study=study, user=user)
    return RatingTask.objects.get(pk=state["tasks"][0]["id"]) if state["tasks"] else None


@pytest.mark.django_db
def test_one_submission_stores_one_rating_per_dimension_atomically_and_idempotently(multi):
    study, (user, _) = multi
    task = next_task(study, user)
    client_id = uuid.uuid4()
    scores = {"technical": 85, "aesthetic": 55, "alignment": 70}  # technical: 87.5 suggested, near enough
    first = voting_services.rating_submit(task=task, user=user, client_id=client_id, scores=scores,
                                          response_time_ms=800, deductions={"noise": "slight"}, reason="")
    stored = {r.dimension: r for r in Rating.objects.filter(rater=user)}
    assert {name: r.score for name, r in stored.items()} == scores
    assert first.created and first.rating_ids == {name: r.pk for name, r in stored.items()}
    assert {r.client_id for r in stored.values()} == {client_id}
    assert first.rating_id == stored["technical"].pk and RatingTask.objects.get(pk=task.pk).rating_id == first.rating_id
    assert stored["technical"].deductions == {"noise": "slight"} and stored["technical"].suggested_score == 87.5
    assert stored["aesthetic"].deductions == {} and stored["aesthetic"].suggested_score is None, "guideline: first"
    replay = voting_services.rating_submit(task=task, user=user, client_id=client_id, scores=dict(scores))
    assert not replay.created and replay.rating_ids == first.rating_ids
    assert Rating.objects.filter(rater=user).count() == 3, "the same submission again stores nothing"
    with pytest.raises(DomainError, match="rated this image already"):
        voting_services.rating_submit(task=task, user=user, client_id=client_id, scores={**scores, "alignment": 10})
    assert Enrolment.objects.get(study=study, user=user).rated_in_block == 1, "one task, one vote in the block"


@pytest.mark.django_db
@pytest.mark.parametrize("scores, message", [
    ({"technical": 62, "aesthetic": 55}, r"Prompt alignment \(alignment\): no score given"),
    ({"technical": 62, "aesthetic": 155, "alignment": 50}, r"Aesthetic quality \(aesthetic\): Score 155 is off"),
    ({"technical": 62, "aesthetic": 55, "alignment": 50, "colour": 3}, "Unknown dimension 'colour'"),
    ({"technical": 62, "aesthetic": None, "alignment": 50}, r"Aesthetic quality \(aesthetic\): no score given"),
    ({"": 62}, "Unknown dimension ''"),
])
def test_a_vote_missing_or_breaking_a_dimension_stores_nothing(multi, scores, message):
    study, (user, _) = multi
    task = next_task(study, user)
    with pytest.raises(DomainError, match=message):
        voting_services.rating_submit(task=task, user=user, client_id=uuid.uuid4(), scores=scores)
    assert Rating.objects.count() == 0
    assert RatingTask.objects.get(pk=task.pk).status == RatingTask.Status.PENDING


@pytest.mark.django_db
def test_a_single_score_is_refused_where_dimensions_are_asked_and_vice_versa(multi, open_study, annotators):
    study, (user, _) = multi
    with pytest.raises(DomainError, match='send scores, e.g. {"technical": ..., "aesthetic": ..., "alignment": ...}'):
        voting_services.rating_submit(task=next_task(study, user), user=user, client_id=uuid.uuid4(), score=60)
    assignment_services.assignment_create(study=open_study, seed=1)
    task = RatingTask.objects.filter(study=open_study, annotator=annotators[0]).order_by("position").first()
    with pytest.raises(DomainError, match="asks for a single score: send score, not scores"):
        voting_services.rating_submit(task=task, user=annotators[0], client_id=uuid.uuid4(), scores={"technical": 3})
    with pytest.raises(DomainError, match="not both or none"):
        voting_services.rating_submit(task=task, user=annotators[0], client_id=uuid.uuid4(), score=3, scores={"": 3})
    result = voting_services.rating_submit(task=task, user=annotators[0], client_id=uuid.uuid4(), score=3)
    assert result.rating_ids == {"": result.rating_id}
    assert Rating.objects.get(pk=result.rating_id).dimension == "", "the single path stores dimension ''"


@pytest.mark.django_db
def test_the_api_takes_scores_and_says_which_dimension_is_wrong(multi, client):
    study, (user, _) = multi
    client.force_login(user)
    task_id = client.get(f"/api/annotation/studies/{study.pk}/queue/").json()["tasks"][0]["id"]
    url = RATINGS.format(study_id=study.pk)
    body = {"task_id": task_id, "client_id": str(uuid.uuid4()), "scores": {"technical": 62, "aesthetic": "nice",
                                                                          "alignment": 70}}
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code == 400 and "aesthetic" in refused.json()["scores"]
    missing = client.post(url, {**body, "scores": {"technical": 62}}, content_type="application/json")
    assert missing.status_code == 400 and "Aesthetic quality (aesthetic): no score given" in missing.json()["detail"]
    body["scores"] = {"technical": 90, "aesthetic": 55, "alignment": 70}
    both = client.post(url, {**body, "score": 50}, content_type="application/json")
    assert both.status_code == 400 and "not both or neither" in str(both.json())
    stored = client.post(url, body, content_type="application/json")
    assert stored.status_code == 201, stored.content
    again = client.post(url, body, content_type="application/json")
    assert again.status_code == 200 and again.json()["rating_ids"] == stored.json()["rating_ids"]
    assert set(stored.json()["rating_ids"]) == {"technical", "aesthetic", "alignment"}
    assert Rating.objects.filter(rater=user).count() == 3


@pytest.mark.django_db
def test_the_cross_check_applies_to_each_dimension_and_relabel_covers_them_all(multi, coordinator):
    study, (first, second) = multi
    given = {first: {"technical": 60, "aesthetic": 50, "alignment": 80},
             second: {"technical": 65, "aesthetic": 50, "alignment": 20}}  # alignment differs by 60 >= 30
    for user in (first, second):
        while (task := next_task(study, user)) is not None:
            if task.kind == RatingTask.Kind.GOLD:
                voting_services.rating_submit(task=task, user=user, client_id=uuid.uuid4(),
                                              scores={"technical": 80, "aesthetic": 0, "alignment": 0})
                continue
            voting_services.rating_submit(task=task, user=user, client_id=uuid.uuid4(), scores=given[user])
    reviews = StimulusReview.objects.filter(study=study)
    assert reviews.count() == 2 and set(reviews.values_list("status", flat=True)) == {"open"}
    review = reviews.order_by("stimulus__name").first()
    assert review.reasons == ["Prompt alignment: scores range over 60 points (rule: at least 30)"]
    assert len(review.scores) == 6, "every dimension's votes are kept with the review"
    rows = selectors.review_queue(study=study, hide_names=True, dimensions=("technical", "aesthetic", "alignment"))
    assert [vote["scores"] for vote in rows[0]["votes"]] == [[60, 50, 80], [65, 50, 20]]
    _, protocol = protocol_services.protocol_current(study=study)
    review_services.review_relabel(review=review, by=coordinator, protocol=protocol, rater_ids=[second.pk])
    relabel = RatingTask.objects.get(annotator=second, kind=RatingTask.Kind.RELABEL)
    result = voting_services.rating_submit(task=relabel, user=second, client_id=uuid.uuid4(),
                                           scores={"technical": 65, "aesthetic": 50, "alignment": 75})
    new = Rating.objects.filter(pk__in=result.rating_ids.values())
    assert {r.dimension: r.supersedes.dimension for r in new} == {d: d for d in ("technical", "aesthetic", "alignment")}
    assert StimulusReview.objects.filter(stimulus=review.stimulus).latest("created_at").status == "consistent"
    current = Rating.objects.filter(stimulus=review.stimulus).current()
    assert sorted(current.values_list("dimension", "score")) == sorted(
        [("technical", 60), ("aesthetic", 50), ("alignment", 80), ("technical", 65), ("aesthetic", 50),
         ("alignment", 75)])


@pytest.mark.django_db
def test_gold_checks_compare_the_first_dimension(multi):
    study, users = multi  # gold reference 80 +- 5, one failure pauses
    for user, gold_scores, paused in ((users[0], {"technical": 82, "aesthetic": 0, "alignment": 0}, False),
                                      (users[1], {"technical": 60, "aesthetic": 80, "alignment": 80}, True)):
        while (task := next_task(study, user)) is not None and task.kind != RatingTask.Kind.GOLD:
            voting_services.rating_submit(task=task, user=user, client_id=uuid.uuid4(),
                                          scores={"technical": 50, "aesthetic": 50, "alignment": 50})
        assert task is not None, "a gold item was mixed in"
        voting_services.rating_submit(task=task, user=user, client_id=uuid.uuid4(), scores=gold_scores)
        assert Enrolment.objects.get(study=study, user=user).paused is paused


@pytest.mark.django_db
def test_dimensions_cannot_change_once_there_are_votes(multi, coordinator):
    study, (user, _) = multi
    _, protocol = protocol_services.protocol_current(study=study)
    config = {"dimensions": DIMENSIONS[:2]}
    voting_services.rating_submit(task=next_task(study, user), user=user, client_id=uuid.uuid4(),
                                  scores={"technical": 50, "aesthetic": 50, "alignment": 50})
    with pytest.raises(DomainError, match="dimensions cannot change once the study has votes"):
        protocol_services.protocol_publish(study=study, config=config, by=coordinator)
    protocol_services.protocol_publish(study=study, config={**config, "dimensions": DIMENSIONS, "replay": False},
                                       by=coordinator, note="same dimensions, no replay")


@pytest.mark.django_db
def test_the_history_and_the_quality_indicators_know_the_dimension(multi, client, coordinator):
    study, (user, _) = multi
    while (task := next_task(study, user)).kind == RatingTask.Kind.GOLD:  # a study vote, not the gold check
        voting_services.rating_submit(task=task, user=user, client_id=uuid.uuid4(),
                                      scores={"technical": 80, "aesthetic": 50, "alignment": 50})
    result = voting_services.rating_submit(task=task, user=user, client_id=uuid.uuid4(),
                                           scores={"technical": 40, "aesthetic": 50, "alignment": 60})
    rows = selectors.rating_history_rows(study=study)
    column = rows[0].index("dimension")
    mine = [row for row in rows[1:] if row[0] in result.rating_ids.values()]
    assert sorted((row[column], row[column + 1]) for row in mine) == [
        ("aesthetic", 50), ("alignment", 60), ("technical", 40)]
    indicators = {e.user_id: i for e, i, _ in selectors.annotator_quality(study=study, dimension="technical")}
    assert indicators[user.pk].votes == 1, "one vote of one dimension, not three rows"
    client.force_login(coordinator)
    page = client.get(f"/studies/{study.pk}/annotation/")
    assert page.status_code == 200 and user.username in page.content.decode()


@pytest.mark.django_db
def test_a_dimension_failing_at_storage_rolls_back_the_others(multi):
    study, (user, _) = multi
    task = next_task(study, user)
    client_id = uuid.uuid4()  # already used by a stored aesthetic vote of another stimulus: the 2nd insert fails
    other = Rating.objects.create(study=study, stimulus=study.stimuli.exclude(pk=task.stimulus_id).first(), rater=user,
                                  score=10, dimension="aesthetic", client_id=client_id)
    with pytest.raises(DomainError, match="already used for another vote"):
        voting_services.rating_submit(task=task, user=user, client_id=client_id,
                                      scores={"technical": 90, "aesthetic": 55, "alignment": 70})
    assert list(Rating.objects.filter(rater=user)) == [other], "the technical vote stored first was rolled back"
    assert RatingTask.objects.get(pk=task.pk).status == RatingTask.Status.PENDING


@pytest.mark.django_db
def test_the_page_without_javascript_posts_a_score_per_dimension(multi, client):
    study, (user, _) = multi
    task = next_task(study, user)
    client.force_login(user)
    form = {"task_id": task.pk, "client_id": str(uuid.uuid4()), "score-technical": "95", "score-aesthetic": "40"}
    client.post(f"/studies/{study.pk}/rate/", form)
    assert Rating.objects.count() == 0, "alignment is missing: nothing stored"
    page = client.get(f"/studies/{study.pk}/rate/").content.decode()
    assert "Prompt alignment (alignment): no score given" in page
    client.post(f"/studies/{study.pk}/rate/", {**form, "score-alignment": "70"})
    assert dict(Rating.objects.filter(rater=user).values_list("dimension", "score")) == {
        "technical": 95, "aesthetic": 40, "alignment": 70}
