"""The cross-check and relabel workflow: consistency rule, coordinator decisions, relabel tasks.

Votes are never changed or deleted here; only `verified` is set on the votes that count. With several
rating dimensions the rule applies to each dimension's votes, and the stimulus is flagged when any
dimension is; review decisions (accept, relabel, add raters) then cover every dimension at once.
"""
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from annotation import vote_queries
from annotation.models import RatingTask, StimulusReview
from common.errors import DomainError
from moslab_science.rating.crosscheck import CheckResult, consistency_check
from moslab_science.rating.protocol import Protocol
from studies.models import Rating, Stimulus, Study

Kind = RatingTask.Kind
Status = StimulusReview.Status


def crosscheck_if_complete(*, study: Study, stimulus: Stimulus, protocol: Protocol) -> StimulusReview | None:
    """Once every rater place of `stimulus` has a vote and no relabel is pending, apply the rule.

    Call inside the transaction that stored the last vote, with the stimulus row locked. Most votes
    are not the last of their image and cost one query here.
    """
    pending, claimed, places, last_round = vote_queries.stimulus_task_counts(
        stimulus_id=stimulus.pk, raters_per_stimulus=study.raters_per_stimulus)
    if pending or claimed < places:
        return None
    latest = list(Rating.objects.filter(stimulus=stimulus).latest_per_rater())
    result = _check_each_dimension(latest, protocol)
    review = StimulusReview.objects.create(
        study=study, stimulus=stimulus, round=last_round or 0,
        status=Status.OPEN if result.flagged else Status.CONSISTENT, reasons=result.reasons,
        scores={str(rating.pk): rating.score for rating in latest}, deviating=list(result.deviating),
    )
    if not result.flagged:
        _verify(latest)
    return review


def _check_each_dimension(latest: list[Rating], protocol: Protocol) -> CheckResult:
    """The consistency rule on each dimension's votes; flagged if any dimension is, its reasons labelled."""
    if not protocol.dimensions:
        return consistency_check({rating.rater_id: rating.score for rating in latest}, protocol.consistency)
    labels = {dimension.name: dimension.label for dimension in protocol.dimensions}
    by_dimension: dict[str, dict[int, float]] = {}
    for rating in latest:
        by_dimension.setdefault(rating.dimension, {})[rating.rater_id] = rating.score
    reasons: list[str] = []
    deviating: set[int] = set()
    order = {name: index for index, name in enumerate(protocol.dimension_names)}
    for name in sorted(by_dimension, key=lambda name: (order.get(name, len(order)), name)):
        result = consistency_check(by_dimension[name], protocol.consistency)
        reasons += [f"{labels.get(name, name or 'score')}: {reason}" for reason in result.reasons]
        deviating |= set(result.deviating) if result.flagged else set()
    return CheckResult(flagged=bool(reasons), reasons=reasons, deviating=sorted(deviating))


def _verify(ratings: list[Rating]) -> None:
    Rating.objects.filter(pk__in=[rating.pk for rating in ratings], verified=False).update(
        verified=True, verified_at=timezone.now()
    )


def _open_review_locked(review: StimulusReview) -> StimulusReview:
    review = StimulusReview.objects.select_for_update(no_key=True).select_related("stimulus", "study").get(pk=review.pk)
    if review.status != Status.OPEN:
        raise DomainError(f"This review was decided already ({review.get_status_display().lower()}).")
    return review


def _decide(review: StimulusReview, *, status: str, by: AbstractBaseUser, note: str) -> None:
    review.status = status
    review.decided_by = by
    review.decided_at = timezone.now()
    review.note = note.strip()[:300]
    review.save()


@transaction.atomic
def review_accept(*, review: StimulusReview, by: AbstractBaseUser, note: str = "") -> StimulusReview:
    """Keep the votes as they are: each rater's latest vote becomes verified and counts for MOS."""
    review = _open_review_locked(review)
    _verify(list(Rating.objects.filter(stimulus=review.stimulus).latest_per_rater()))
    _decide(review, status=Status.ACCEPTED, by=by, note=note)
    return review


@transaction.atomic
def review_relabel(
    *, review: StimulusReview, by: AbstractBaseUser, protocol: Protocol, rater_ids: list[int] | None = None,
    note: str = "",
) -> StimulusReview:
    """Ask the deviating raters (or those chosen) to rate the image again, blind to their old vote."""
    review = _open_review_locked(review)
    if review.round >= protocol.relabel_rounds:
        raise DomainError(
            f"All {protocol.relabel_rounds} relabel rounds are used; accept the votes or add raters."
        )
    raters = set(Rating.objects.filter(stimulus=review.stimulus, purpose=Rating.Purpose.RATING)
                 .values_list("rater_id", flat=True))
    chosen = [int(pk) for pk in (rater_ids or review.deviating)]
    if not chosen or not set(chosen) <= raters:
        raise DomainError("Choose raters who voted on this image to relabel it.")
    round_ = review.round + 1
    for rater_id in chosen:
        last = RatingTask.objects.filter(study=review.study, annotator_id=rater_id).aggregate(last=Max("position"))
        RatingTask.objects.create(
            study=review.study, stimulus=review.stimulus, annotator_id=rater_id, kind=Kind.RELABEL,
            round=round_, priority=0, position=(last["last"] or 0) + 1,
        )
    _decide(review, status=Status.RELABEL, by=by, note=note)
    return review


@transaction.atomic
def review_add_raters(*, review: StimulusReview, by: AbstractBaseUser, count: int, note: str = "") -> StimulusReview:
    """Open `count` more rater places; the cross-check runs again when they are filled."""
    review = _open_review_locked(review)
    if not 1 <= count <= 10:
        raise DomainError("Add between 1 and 10 raters.")
    review.extra_raters = count
    _decide(review, status=Status.MORE_RATERS, by=by, note=note)
    return review


DECISIONS = ("accept", "relabel", "add_raters")


@transaction.atomic
def reviews_decide(
    *, reviews: list[StimulusReview], action: str, by: AbstractBaseUser, protocol: Protocol,
    rater_ids: list[int] | None = None, count: int = 1, note: str = "",
) -> list[StimulusReview]:
    """One decision on each of `reviews`, all or nothing: a review that cannot take it (decided already, no relabel
    round left...) is listed with its reason and nothing is decided."""
    if action not in DECISIONS:
        raise DomainError(f"Unknown decision {action!r}; choose one of {', '.join(DECISIONS)}.")
    decided, problems = [], []
    for review in reviews:
        try:
            with transaction.atomic():
                if action == "accept":
                    decided.append(review_accept(review=review, by=by, note=note))
                elif action == "relabel":
                    decided.append(review_relabel(review=review, by=by, protocol=protocol, rater_ids=rater_ids,
                                                  note=note))
                else:
                    decided.append(review_add_raters(review=review, by=by, count=count, note=note))
        except DomainError as error:
            problems.append(f"review {review.pk} ({review.stimulus}): {error}")
    if problems:
        raise DomainError("Nothing was decided; each review listed cannot take this decision.", problems=problems)
    return decided
