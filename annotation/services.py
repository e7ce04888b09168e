"""Protocol versions, enrolment, assignment and rating submission: the only way votes enter a study."""
import functools
import logging
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from kombu.exceptions import KombuError

from annotation import selectors, tasks, vote_queries
from annotation.assignment_services import CLAIM_AHEAD, next_position, queue_fill
from annotation.models import Enrolment, QualityItem, RatingTask
from annotation.notifications import pause_notify
from annotation.playback import playthrough_problem
from annotation.review_services import crosscheck_if_complete
from common.errors import DomainError, PermissionDeniedError
from moslab_science.rating.protocol import Protocol, ProtocolError, protocol_from_dict
from studies import services as study_services
from studies.models import Rating, Stimulus, Study, StudyProtocol

logger = logging.getLogger(__name__)
Kind = RatingTask.Kind
Phase = Enrolment.Phase
STUDY_KINDS = (Kind.RATING, Kind.RELABEL, Kind.GOLD, Kind.REPEAT)
PURPOSE_OF_KIND = {
    Kind.RATING: Rating.Purpose.RATING, Kind.RELABEL: Rating.Purpose.RATING, Kind.GOLD: Rating.Purpose.GOLD,
    Kind.REPEAT: Rating.Purpose.REPEAT, Kind.TRAINING: Rating.Purpose.TRAINING,
    Kind.QUALIFICATION: Rating.Purpose.QUALIFICATION,
}
PHASE_OF_KIND = {Kind.TRAINING: Phase.TRAINING, Kind.QUALIFICATION: Phase.QUALIFICATION}


# --- protocol -------------------------------------------------------------------------------------

def protocol_current(*, study: Study) -> tuple[StudyProtocol | None, Protocol]:
    """The latest protocol version of the study, or the defaults when none was published."""
    record = StudyProtocol.objects.filter(study=study).order_by("-version").first()
    if record is None:
        return None, protocol_from_dict({"raters_per_stimulus": study.raters_per_stimulus})
    return record, protocol_from_dict(record.config)


@transaction.atomic
def protocol_publish(*, study: Study, config: dict, by: AbstractBaseUser, note: str = "") -> StudyProtocol:
    """Store a new protocol version (earlier ones stay, ratings keep pointing at theirs)."""
    try:
        protocol = protocol_from_dict(config)
    except ProtocolError as error:
        raise DomainError(str(error)) from None
    Study.objects.select_for_update(no_key=True).filter(pk=study.pk).first()
    _, current = protocol_current(study=study)
    if current.dimension_names != protocol.dimension_names and Rating.objects.filter(study=study).exists():
        raise DomainError(
            "The rating dimensions cannot change once the study has votes (" + ", ".join(
                name or "single score" for name in current.dimension_names) + "): votes of different "
            "dimensions would mix. Keep them, or run the new dimensions as a new study."
        )
    last = StudyProtocol.objects.filter(study=study).aggregate(last=Max("version"))["last"] or 0
    record = StudyProtocol.objects.create(study=study, version=last + 1, config=config, note=note, created_by=by)
    Study.objects.filter(pk=study.pk).update(
        scale_min=protocol.scale_min, scale_max=protocol.scale_max,
        raters_per_stimulus=protocol.raters_per_stimulus,
    )
    study.refresh_from_db()
    return record


# --- enrolment --------------------------------------------------------------------------------------

def enrolment_get_or_start(*, study: Study, user: AbstractBaseUser) -> Enrolment:
    """The annotator's enrolment; a study without a published protocol starts straight at rating."""
    enrolment = Enrolment.objects.filter(study=study, user=user).first()
    if enrolment is not None:
        return enrolment
    record, _ = protocol_current(study=study)
    phase = Phase.INSTRUCTIONS if record is not None else Phase.RATING
    enrolment, _ = Enrolment.objects.get_or_create(
        study=study, user=user, defaults={"phase": phase, "protocol": record}
    )
    return enrolment


@transaction.atomic
def enrolment_accept_instructions(*, enrolment: Enrolment) -> Enrolment:
    enrolment = Enrolment.objects.select_for_update(no_key=True).get(pk=enrolment.pk)
    if enrolment.phase == Phase.INSTRUCTIONS:
        _enter_phase(enrolment, Phase.TRAINING)
    return enrolment


def _enter_phase(enrolment: Enrolment, phase: str) -> None:
    """Move on to `phase`, skipping training or qualification when the study has no such items."""
    order = [Phase.TRAINING, Phase.QUALIFICATION]
    for candidate in order[order.index(phase):] if phase in order else []:
        items = list(QualityItem.objects.filter(study=enrolment.study, kind=candidate).order_by("pk"))
        if items:
            start = next_position(study=enrolment.study, user_id=enrolment.user_id)
            RatingTask.objects.bulk_create([
                RatingTask(study=enrolment.study, stimulus_id=item.stimulus_id, annotator_id=enrolment.user_id,
                           kind=candidate, position=start + index, priority=5)
                for index, item in enumerate(items)
            ])
            enrolment.phase = candidate
            enrolment.save(update_fields=["phase", "updated_at"])
            return
    enrolment.phase = Phase.RATING
    enrolment.save(update_fields=["phase", "updated_at"])


@transaction.atomic
def enrolment_resume(*, enrolment: Enrolment, by: AbstractBaseUser, note: str = "") -> Enrolment:
    """A coordinator lets a paused annotator (failed gold or qualification) rate again."""
    enrolment = Enrolment.objects.select_for_update(no_key=True).get(pk=enrolment.pk)
    enrolment.paused = False
    enrolment.pause_reason = f"resumed by {by}" + (f": {note}" if note else "")
    enrolment.gold_failures = 0
    if enrolment.phase == Phase.QUALIFICATION:
        enrolment.phase = Phase.RATING
    enrolment.save()
    return enrolment


# --- submission -----------------------------------------------------------------------------------------

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
        task = vote_queries.task_for_vote(task_id=task.pk, user_id=user.pk, client_id=client_id)
        if task is None or task.annotator_id != user.pk:
            raise DomainError("This task is not assigned to you.")
        return _submit_locked(task=task, user=user, vote=vote)


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
        task = vote_queries.task_for_vote(task_id=task_id, user_id=user.pk, client_id=client_id, study_id=study_id)
        if task is None:
            raise PermissionDeniedError("This task is not assigned to you in this study, or you may not rate there.")
        return _submit_locked(task=task, user=user, vote=vote)


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


def _submit_locked(*, task: RatingTask, user: AbstractBaseUser, vote: _Vote) -> SubmitResult:
    """Store the vote for `task` (locked, the caller's transaction): checks, rating, counters, cross-check."""
    if task.status == RatingTask.Status.DONE:
        return _replay(task=task, user=user, vote=vote)
    study = task.study
    if study.status != Study.Status.OPEN:
        raise DomainError(f"The study is {study.get_status_display().lower()}; ratings are not accepted.")
    enrolment, protocol_id, protocol = _enrolment_locked(study=study, user=user)
    _check_may_rate(enrolment=enrolment, task=task)
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
            response_time_ms=vote.response_time_ms, details=details, client_id_used=task.client_id_used,
            dimension=name,
        )
        created = created or stored
    rating = ratings[names[0]]
    task.rating = rating
    task.status = RatingTask.Status.DONE
    vote_queries.row_update(task, ("rating", "status", "updated_at"))
    _after_vote(enrolment=enrolment, task=task, score=rating.score, protocol=protocol)
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
    """Scores on the scale, one per dimension, the guideline's reason, and a video played through."""
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
    if problems:
        raise DomainError(" ".join(problems))


def _enrolment_locked(*, study: Study, user: AbstractBaseUser) -> tuple[Enrolment, int | None, Protocol]:
    """The annotator's enrolment, locked, with the id of the study's current protocol read in the same query."""
    enrolment = vote_queries.enrolment_for_vote(study_id=study.pk, user_id=user.pk)
    if enrolment is None:
        enrolment_get_or_start(study=study, user=user)
        enrolment = vote_queries.enrolment_for_vote(study_id=study.pk, user_id=user.pk)
    if enrolment.current_protocol_id is None:
        return enrolment, None, protocol_from_dict({"raters_per_stimulus": study.raters_per_stimulus})
    return enrolment, enrolment.current_protocol_id, _protocol_version(
        enrolment.current_protocol_id, stamp=enrolment.current_protocol_stamp)


@functools.lru_cache(maxsize=256)
def _protocol_version(protocol_id: int, *, stamp: object) -> Protocol:
    """One protocol version, read and checked once per process: versions are never edited, only added.

    `stamp` (its creation time) is part of the key, so an id that a database hands out again (SQLite
    does after a rollback) is never mistaken for the version that had it.
    """
    return protocol_from_dict(StudyProtocol.objects.values_list("config", flat=True).get(pk=protocol_id))


def _check_may_rate(*, enrolment: Enrolment, task: RatingTask) -> None:
    if enrolment.paused:
        raise DomainError(f"Your rating is paused in this study ({enrolment.pause_reason}); the coordinator "
                          "has been told and can resume it.")
    if enrolment.break_until and enrolment.break_until > timezone.now():
        seconds = int((enrolment.break_until - timezone.now()).total_seconds()) + 1
        raise DomainError(f"Time for a break: rating resumes in {seconds} s.")
    expected = PHASE_OF_KIND.get(task.kind)
    if expected is not None and enrolment.phase != expected:
        raise DomainError(f"This {task.get_kind_display().lower()} item is not open now.")
    if expected is None and enrolment.phase not in (Phase.RATING, Phase.DONE):
        raise DomainError(f"Finish the {enrolment.get_phase_display().lower()} first.")


def _after_vote(*, enrolment: Enrolment, task: RatingTask, score: float, protocol: Protocol) -> None:
    """Counters, breaks, gold failures and the move from training to qualification to rating."""
    if task.kind in PHASE_OF_KIND:
        if not RatingTask.objects.filter(study=task.study, annotator_id=enrolment.user_id, kind=task.kind,
                                         status=RatingTask.Status.PENDING).exists():
            if task.kind == Kind.TRAINING:
                _enter_phase(enrolment, Phase.QUALIFICATION)
            else:
                _qualification_decide(enrolment=enrolment, protocol=protocol)
        return
    if task.kind == Kind.GOLD:
        item = QualityItem.objects.get(stimulus=task.stimulus, kind=QualityItem.Kind.GOLD)
        if abs(score - item.reference_score) > item.tolerance:
            enrolment.gold_failures += 1
            if protocol.gold_pause_after and enrolment.gold_failures >= protocol.gold_pause_after:
                _pause(enrolment, reason=f"{enrolment.gold_failures} gold checks failed")
    if task.kind == Kind.RATING:
        enrolment.study_votes += 1
    enrolment.rated_in_block += 1
    if enrolment.rated_in_block >= protocol.block_size:
        enrolment.rated_in_block = 0
        if protocol.break_seconds:
            enrolment.break_until = timezone.now() + timedelta(seconds=protocol.break_seconds)
    vote_queries.row_update(enrolment, ("gold_failures", "paused", "pause_reason", "study_votes", "rated_in_block",
                                        "break_until", "updated_at"))


def _qualification_decide(*, enrolment: Enrolment, protocol: Protocol) -> None:
    references = {
        item.stimulus_id: item
        for item in QualityItem.objects.filter(study=enrolment.study, kind=QualityItem.Kind.QUALIFICATION)
    }
    votes = Rating.objects.filter(  # reference scores are of the first dimension
        study=enrolment.study, rater_id=enrolment.user_id, purpose=Rating.Purpose.QUALIFICATION,
        dimension=protocol.dimension_names[0],
    ).values_list("stimulus_id", "score")
    hits = [abs(score - references[pk].reference_score) <= references[pk].tolerance
            for pk, score in votes if pk in references]
    enrolment.qualification_score = sum(hits) / len(hits) if hits else 0.0
    if enrolment.qualification_score >= protocol.qualification_threshold:
        enrolment.phase = Phase.RATING
    else:
        _pause(enrolment, reason=(
            f"qualification not passed: {enrolment.qualification_score:.0%} within tolerance, "
            f"{protocol.qualification_threshold:.0%} needed"
        ))
    enrolment.save()


def _pause(enrolment: Enrolment, *, reason: str) -> None:
    """Stop the annotator from rating and, once the vote is stored, tell the study's coordinators."""
    enrolment.paused = True
    enrolment.pause_reason = reason
    logger.warning("Paused user %s in study %s: %s", enrolment.user_id, enrolment.study_id, reason)
    transaction.on_commit(lambda: pause_notify(enrolment_id=enrolment.pk))


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


@transaction.atomic
def enrolment_finish_if_done(*, enrolment: Enrolment, protocol: Protocol) -> Enrolment:
    """Mark the enrolment done (with a completion code) once nothing is left to rate."""
    enrolment = Enrolment.objects.select_for_update(no_key=True).get(pk=enrolment.pk)
    if enrolment.phase == Phase.RATING:
        enrolment.phase = Phase.DONE
        if protocol.completion_code and not enrolment.completion_code:
            enrolment.completion_code = secrets.token_hex(4).upper()
        enrolment.save()
    return enrolment


def session_next(
    *, study: Study, user: AbstractBaseUser, enrolment: Enrolment | None = None, protocol: Protocol | None = None,
) -> tuple[Enrolment, dict]:
    """The annotator's state and next two tasks.

    When the queue is down to CLAIM_AHEAD pending tasks, a worker claims the next block in the
    background (`queue_refill`), so votes do not wait for claims; a queue that has run dry (no
    worker, or a late one) is filled here, in the request. After a vote, pass the `enrolment` and
    `protocol` that `rating_submit` returned: they are not read again, and the answer leaves out the
    study's number of rater places, which the page has.
    """
    after_vote = enrolment is not None
    enrolment = enrolment or enrolment_get_or_start(study=study, user=user)
    protocol = protocol or protocol_current(study=study)[1]
    tasks_left = selectors.pending_tasks(study=study, user=user, limit=CLAIM_AHEAD + 1)
    may_claim = _may_claim(enrolment=enrolment, study=study)
    if not tasks_left and may_claim:
        if queue_fill(study=study, user=user, protocol=protocol):
            tasks_left = selectors.pending_tasks(study=study, user=user)
        else:
            enrolment = enrolment_finish_if_done(enrolment=enrolment, protocol=protocol)
    elif len(tasks_left) == CLAIM_AHEAD and may_claim:
        transaction.on_commit(lambda: _queue_refill_dispatch(study_id=study.pk, user_id=user.pk))
    state = selectors.queue_state(study=study, enrolment=enrolment, tasks=tasks_left[:2],
                                  block_size=protocol.block_size, with_total=not after_vote,
                                  show_prompt=protocol.show_prompt)
    state["completion_code"] = enrolment.completion_code if enrolment.phase == Phase.DONE else ""
    return enrolment, state


def _may_claim(*, enrolment: Enrolment, study: Study) -> bool:
    """Whether new images may be claimed for this annotator: rating phase, not paused, the study open."""
    return enrolment.phase == Phase.RATING and not enrolment.paused and study.status == Study.Status.OPEN


def _queue_refill_dispatch(*, study_id: int, user_id: int) -> None:
    """Ask a worker to claim the next block; a broker that is down costs no vote (the request claims instead)."""
    try:
        tasks.queue_refill_task.apply_async(kwargs={"study_id": study_id, "user_id": user_id}, retry=False)
    except (KombuError, OSError):
        logger.warning("Could not queue a block claim for user %s in study %s; the next empty queue claims it",
                       user_id, study_id, exc_info=True)


def queue_refill(*, study_id: int, user_id: int) -> int:
    """Claim the annotator's next block ahead of need (the worker's half of `session_next`).

    Claims only while the queue holds at most CLAIM_AHEAD pending tasks and the annotator may rate
    in the open study, so a late or repeated message adds nothing. Returns the tasks added.
    """
    enrolment = Enrolment.objects.filter(study_id=study_id, user_id=user_id).select_related("study", "user").first()
    if enrolment is None or not _may_claim(enrolment=enrolment, study=enrolment.study):
        return 0
    study = enrolment.study
    return queue_fill(study=study, user=enrolment.user, protocol=protocol_current(study=study)[1],
                      pending_at_most=CLAIM_AHEAD)
