"""Cross-check, review queue, relabel with full history; exactly N raters with many annotators at once."""
import threading
import uuid
from collections import Counter

import pytest
from django.db import connection

from annotation import (
    enrolment_services,
    protocol_services,
    review_services,
    selectors,
    session_services,
    voting_services,
)
from annotation.models import RatingTask, StimulusReview
from common.errors import DomainError
from moslab_science.rating.ordering import adjacent_repeats
from studies.models import Rating, Stimulus
from tests.annotation.helpers import protocol_study


def rate_all(study, user, score_for):
    while True:
        _, state = session_services.session_next(study=study, user=user)
        if not state["tasks"]:
            return
        task = RatingTask.objects.get(pk=state["tasks"][0]["id"])
        voting_services.rating_submit(task=task, user=user, score=score_for(task), client_id=uuid.uuid4())


@pytest.mark.django_db
def test_flagged_stimulus_is_relabelled_and_history_is_kept(coordinator, make_user, tmp_path):
    study, users = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "i", sources=2,
                                  per_source=1, annotators=3, raters_per_stimulus=3, config={"relabel_rounds": 1})
    outlier = users[2]
    for user in users:
        enrolment_services.enrolment_accept_instructions(
            enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
        rate_all(study, user, lambda task, u=user: 1 if (u == outlier and task.stimulus.name.startswith("src0")) else 4)
    flagged = Stimulus.objects.get(study=study, name="src0_v0.png")
    review = StimulusReview.objects.get(stimulus=flagged)
    assert review.status == "open" and review.deviating == [outlier.pk]
    assert StimulusReview.objects.get(stimulus__name="src1_v0.png").status == "consistent"
    assert Rating.objects.filter(stimulus=flagged).current().count() == 0, "flagged votes do not count yet"
    queue = selectors.review_queue(study=study, hide_names=True)
    assert [vote["rater"] for vote in queue[0]["votes"]] == ["Rater A", "Rater B", "Rater C"]
    _, protocol = protocol_services.protocol_current(study=study)
    review_services.review_relabel(review=review, by=coordinator, protocol=protocol)
    relabel = RatingTask.objects.get(annotator=outlier, kind="relabel")
    _, state = session_services.session_next(study=study, user=outlier)
    assert state["tasks"][0] == selectors.task_payload(relabel) and "score" not in state["tasks"][0]
    result = voting_services.rating_submit(task=relabel, user=outlier, score=4, client_id=uuid.uuid4(),
                                           deductions={"noise": "moderate"})
    new = Rating.objects.get(pk=result.rating_id)
    old = Rating.objects.get(stimulus=flagged, rater=outlier, round=0)
    assert new.supersedes == old and old.score == 1 and new.round == 1 and "relabel" in new.change_reason
    assert StimulusReview.objects.filter(stimulus=flagged).latest("created_at").status == "consistent"
    current = dict(Rating.objects.filter(stimulus=flagged).current().values_list("rater_id", "score"))
    assert current == {user.pk: 4 for user in users}, "MOS uses each annotator's latest verified vote"
    assert Rating.objects.filter(stimulus=flagged).count() == 4, "nothing overwritten or deleted"
    rows = selectors.rating_history_rows(study=study)
    assert len(rows) == 1 + Rating.objects.filter(study=study).count()
    with pytest.raises(DomainError, match="decided already"):
        review_services.review_accept(review=review, by=coordinator)


@pytest.mark.django_db
def test_coordinator_accepts_or_adds_raters(client, coordinator, make_user, tmp_path):
    study, users = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "i", sources=1,
                                  per_source=2, annotators=3, raters_per_stimulus=2)
    for index, user in enumerate(users[:2]):
        enrolment_services.enrolment_accept_instructions(
            enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
        rate_all(study, user, lambda task, i=index: 1 + 3 * i)
    first, second = StimulusReview.objects.filter(study=study, status="open").order_by("stimulus__name")
    client.force_login(users[0])
    assert client.get(f"/studies/{study.pk}/reviews/").status_code == 404, "annotators never see the queue"
    client.force_login(coordinator)
    page = client.get(f"/studies/{study.pk}/reviews/").content.decode()
    assert "Rater A" in page and users[0].username not in page
    assert users[0].username in client.get(f"/studies/{study.pk}/reviews/?names=1").content.decode()
    client.post(f"/studies/{study.pk}/reviews/{first.pk}/", {"action": "accept"})
    assert Rating.objects.filter(stimulus=first.stimulus).current().count() == 2
    client.post(f"/studies/{study.pk}/reviews/{second.pk}/", {"action": "add_raters", "count": "1"})
    third = users[2]
    enrolment_services.enrolment_accept_instructions(
        enrolment=enrolment_services.enrolment_get_or_start(study=study, user=third))
    rate_all(study, third, lambda task: 4)
    assert RatingTask.objects.filter(annotator=third).count() == 1, "only the image that needs a third rater"
    assert StimulusReview.objects.filter(stimulus=second.stimulus).count() == 2
    history = client.get(f"/studies/{study.pk}/ratings/history.csv").content.decode().splitlines()
    assert history[0].startswith("rating_id,stimulus,rater") and len(history) == 6


@pytest.mark.django_db(transaction=True)
def test_many_annotators_at_once_give_every_stimulus_exactly_n_raters(coordinator, make_user, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent writers need PostgreSQL (DATABASE_URL=postgres://...)")
    study, users = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "i", sources=10,
                                  per_source=6, annotators=24, size=(8, 8),
                                  raters_per_stimulus=5, config={"block_size": 4, "break_seconds": 0})
    for user in users:
        enrolment_services.enrolment_accept_instructions(
            enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(users))

    def work(user):
        try:
            barrier.wait()
            rate_all(study, user, lambda task: 1 + task.stimulus_id % 5)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    per_stimulus = Counter(Rating.objects.filter(study=study).values_list("stimulus_id", flat=True))
    assert len(per_stimulus) == 60 and set(per_stimulus.values()) == {5}
    pairs = Counter(Rating.objects.filter(study=study).values_list("stimulus_id", "rater_id"))
    assert set(pairs.values()) == {1}, "no annotator rated a stimulus twice"
    assert not RatingTask.objects.filter(study=study, status="pending").exists()
    repeats = 0
    for user in users:
        groups = list(RatingTask.objects.filter(study=study, annotator=user).order_by("position")
                      .values_list("stimulus__source_content", flat=True))
        repeats += adjacent_repeats(groups)
    # Near the end of a study an annotator may be left with images of one source only; anything more is a bug.
    assert repeats <= len(users) // 4, f"{repeats} neighbours share a source content"
