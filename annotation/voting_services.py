"""Vote submission: the only way votes enter a study.

One vote is one transaction: the task, its study and image read and locked in one query
(`vote_queries`), the enrolment's checks and counters (`enrolment_services`), the votes stored through
`studies.services.rating_record`, then the image's cross-check (`review_services`).
"""
import uuid
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from annotation import vote_queries
from annotation.enrolment_services import enrolment_check_may_rate, enrolment_count_vote, enrolment_get_or_start
from annotation.models import Enrolment, QualityItem, RatingTask
from annotation.playback import playthrough_problem
from annotation.protocol_services import protocol_of, protocol_version
from annotation.review_services import crosscheck_if_complete
from common.errors import DomainError, PermissionDeniedError
from moslab_science.rating.protocol import Protocol
from studies import services as study_services
from studies.models import Rating, Stimulus, Study

Kind = RatingTask.Kind
PURPOSE_OF_KIND = {
    Kind.RATING: Rating.Purpose.RATING, Kind.RELABEL: Rating.Purpose.RATING, Kind.GOLD: Rating.Purpose.GOLD,
    Kind.REPEAT: Rating.Purpose.REPEAT, Kind.TRAINING: Rating.Purpose.TRAINING,
    Kind.QUALIFICATION: Rating.Purpose.QUALIFICATION,
}


@dataclass(frozen=True)
class SubmitResult:
    task_id: int
    rating_id: int  # the first dimension's vote (the only one of a single-score protocol)
    created: bool
    rating_ids: dict[str, int] = field(default_factory=dict)  # dimension -> vote ("" for a single score)
    feedback: dict | None = field(default=None)
    enrolment: Enrolment | None = field(default=None, compare=False)
    protocol: Protocol | None = field(default=None, compare=False)
    study: Study | None = field(default=None, compare=False)


def rating_submit(
    *, task: RatingTask, user: AbstractBaseUser, client_id: uuid.UUID, score: float | None = None,
    scores: dict[str, float] | None = None, response_time_ms: int | None = None,
    deductions: dict[str, str] | None = None, reason: str = "", display: dict | None = None,
) -> SubmitResult:
    """Close `task` with a vote; replaying the same client id returns the stored vote.

    A single-score protocol takes `score`; a protocol with dimensions takes `scores` (dimension ->
    score, every dimension required) and stores one Rating per dimension, all or none, under the one
    client id. `deductions` (aspect -> severity) is optional for programmatic clients; when given, a
    score (of the first dimension) far from the guideline's suggestion needs a one-line `reason`. A
    video's vote needs a `display` saying the clip was played through. The task and its stimulus are
    locked in one query, so the cross-check sees every vote of the stimulus.
    """
    vote = _vote(score=score, scores=scores, client_id=client_id, response_time_ms=response_time_ms,
                 deductions=deductions, reason=reason, display=display)
    with transaction.atomic():
        found = vote_queries.task_for_vote(task_id=task.pk, user_id=user.pk, client_id=client_id)
        if found is None or found.task.annotator_id != user.pk:
            raise DomainError("This task is not assigned to you.")
        return _submit_locked(found=found, user=user, vote=vote)


def rating_submit_for_annotator(
    *, study_id: int, task_id: int, user: AbstractBaseUser, client_id: uuid.UUID, score: float | None = None,
    scores: dict[str, float] | None = None, response_time_ms: int | None = None,
    deductions: dict[str, str] | None = None, reason: str = "", display: dict | None = None,
) -> SubmitResult:
    """`rating_submit` for a task id sent by a client (the rating API).

    The query that locks the task also checks that it belongs to study `study_id`, that it is
    `user`'s and that `user` is an annotator of the study (PermissionDeniedError otherwise, the same
    for each), so a vote needs no separate study and task lookups.
    """
    vote = _vote(score=score, scores=scores, client_id=client_id, response_time_ms=response_time_ms,
                 deductions=deductions, reason=reason, display=display)
    with transaction.atomic():
        found = vote_queries.task_for_vote(task_id=task_id, user_id=user.pk, client_id=client_id, study_id=study_id)
        if found is None:
            raise PermissionDeniedError("This task is not assigned to you in this study, or you may not rate there.")
        return _submit_locked(found=found, user=user, vote=vote)


@dataclass(frozen=True)
class _Vote:
    scores: dict[str, float]  # dimension -> score; {"": score} for a single score
    client_id: uuid.UUID
    response_time_ms: int | None
    deductions: dict[str, str] | None
    reason: str
    display: dict | None
    single: bool  # sent as `score`, not `scores`


def _vote(*, score: float | None, scores: dict[str, float] | None, **rest) -> _Vote:
    if (score is None) == (scores is None):
        raise DomainError("Send score (one score) or scores (one per dimension of the protocol), not both or none.")
    if score is not None:
        return _Vote(scores={"": float(score)}, single=True, **rest)
    return _Vote(scores={str(name): value if value is None else float(value) for name, value in scores.items()},
                 single=False, **rest)


def _submit_locked(*, found: vote_queries.TaskForVote, user: AbstractBaseUser, vote: _Vote) -> SubmitResult:
    """Store the vote for the task (locked, the caller's transaction): checks, rating, counters, cross-check."""
    task = found.task
    if task.status == RatingTask.Status.DONE:
        return _replay(task=task, user=user, vote=vote)
    study = task.study
    study_services.study_check_open(study=study)
    enrolment, protocol_id, protocol = _enrolment_locked(study=study, user=user)
    enrolment_check_may_rate(enrolment=enrolment, task=task)
    _check_vote(vote=vote, protocol=protocol, stimulus=task.stimulus)
    deductions = vote.deductions
    supersedes: dict[str, Rating] = {}
    if task.kind == Kind.RELABEL:
        supersedes = {rating.dimension: rating for rating in
                      Rating.objects.filter(stimulus=task.stimulus, rater=user).latest_per_rater()}
    names = protocol.dimension_names
    ratings: dict[str, Rating] = {}
    created = False
    for name in names:  # the guideline's deductions, suggestion and reason go with the first dimension
        first = name == names[0]
        details = {
            "purpose": PURPOSE_OF_KIND[task.kind], "protocol_id": protocol_id,
            "deductions": (deductions or {}) if first else {},
            "suggested_score": protocol.suggested_score(deductions) if first and deductions is not None else None,
            "reason": vote.reason.strip()[:300] if first else "", "display": vote.display or {},
            "round": task.round, "supersedes": supersedes.get(name),
            "change_reason": f"relabel round {task.round} after the cross-check" if supersedes.get(name) else "",
        }
        ratings[name], stored = study_services.rating_record(
            study=study, stimulus=task.stimulus, rater=user, score=vote.scores[name], client_id=vote.client_id,
            response_time_ms=vote.response_time_ms, details=details, client_id_used=found.client_id_used,
            dimension=name,
        )
        created = created or stored
    rating = ratings[names[0]]
    task.rating = rating
    task.status = RatingTask.Status.DONE
    vote_queries.row_update(task, ("rating", "status", "updated_at"))
    enrolment_count_vote(enrolment=enrolment, task=task, score=rating.score, protocol=protocol)
    if task.kind in (Kind.RATING, Kind.RELABEL):
        crosscheck_if_complete(study=study, stimulus=task.stimulus, protocol=protocol)
    return SubmitResult(task_id=task.pk, rating_id=rating.pk, created=created, feedback=_feedback(task, rating.score),
                        rating_ids={name: r.pk for name, r in ratings.items()}, enrolment=enrolment,
                        protocol=protocol, study=study)


def _replay(*, task: RatingTask, user: AbstractBaseUser, vote: _Vote) -> SubmitResult:
    """A done task: the same submission again (same client id and scores) returns the stored votes."""
    rating = Rating.objects.get(pk=task.rating_id)
    stored = {rating.dimension: rating}
    if rating.client_id == vote.client_id and (rating.dimension or not vote.single):
        stored = {r.dimension: r for r in Rating.objects.filter(rater=user, client_id=vote.client_id,
                                                                stimulus_id=task.stimulus_id)}
    if rating.client_id == vote.client_id and {name: r.score for name, r in stored.items()} == vote.scores:
        return SubmitResult(task_id=task.pk, rating_id=rating.pk, created=False,
                            rating_ids={name: r.pk for name, r in stored.items()},
                            feedback=_feedback(task, rating.score), study=task.study)
    raise DomainError("You have rated this image already.")


def _check_vote(*, vote: _Vote, protocol: Protocol, stimulus: Stimulus) -> None:
    """Scores on the scale, one per dimension, the guideline's reason, a video played through, the viewing time."""
    if protocol.dimensions and vote.single:
        raise DomainError(
            f"This study asks for one score per dimension ({', '.join(protocol.dimension_names)}): send scores, "
            f"e.g. {{{', '.join(f'{name!r}: ...' for name in protocol.dimension_names)}}}.".replace("'", '"')
        )
    problems = protocol.scores_problems(scores=vote.scores, deductions=vote.deductions or {}, reason=vote.reason,
                                        check_reason=vote.deductions is not None)
    if stimulus.media_type == Stimulus.MediaType.VIDEO:
        problem = playthrough_problem(vote.display, duration_seconds=stimulus.duration_seconds)
        problems += [problem] if problem else []
    viewing = protocol.viewing_problem(vote.response_time_ms)
    problems += [viewing] if viewing else []
    if problems:
        raise DomainError(" ".join(problems))


def _enrolment_locked(*, study: Study, user: AbstractBaseUser) -> tuple[Enrolment, int | None, Protocol]:
    """The annotator's enrolment, locked, with the study's current protocol (its id read in the same query)."""
    found = vote_queries.enrolment_for_vote(study_id=study.pk, user_id=user.pk)
    if found is None:
        enrolment_get_or_start(study=study, user=user)
        found = vote_queries.enrolment_for_vote(study_id=study.pk, user_id=user.pk)
    if found.protocol_id is None:
        return found.enrolment, None, protocol_of(study=study, config=None)
    return found.enrolment, found.protocol_id, protocol_version(
        found.protocol_id, stamp=found.protocol_stamp, scale=(study.scale_min, study.scale_max))


def _feedback(task: RatingTask, score: float) -> dict | None:
    """Training votes get the reference score and its explanation; nothing else is ever revealed."""
    if task.kind != Kind.TRAINING:
        return None
    item = QualityItem.objects.filter(stimulus=task.stimulus, kind=QualityItem.Kind.TRAINING).first()
    if item is None:
        return None
    return {
        "your_score": score, "reference": item.reference_score, "explanation": item.explanation,
        "within_tolerance": abs(score - item.reference_score) <= item.tolerance,
    }
