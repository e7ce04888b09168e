"""The enrolment phase machine: instructions, training, qualification, rating, done; pauses, breaks, gold.

`enrolment_check_may_rate` and `enrolment_count_vote` are the vote's two visits: before the vote is
stored (may this annotator rate this task now?) and after it (counters, breaks, gold failures, and
the move from training to qualification to rating).
"""
import logging
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from annotation import vote_queries
from annotation.assignment_services import next_position
from annotation.crowd.selectors import crowd_check_passed_or_refuse
from annotation.models import Enrolment, QualityItem, RatingTask
from annotation.notifications import pause_notify
from annotation.protocol_services import protocol_current
from common.errors import DomainError
from moslab_science.rating.protocol import Protocol
from studies.models import Rating, Study

logger = logging.getLogger(__name__)
Kind = RatingTask.Kind
Phase = Enrolment.Phase
PHASE_OF_KIND = {Kind.TRAINING: Phase.TRAINING, Kind.QUALIFICATION: Phase.QUALIFICATION}


def enrolment_get_or_start(*, study: Study, user: AbstractBaseUser, instructions_first: bool = False) -> Enrolment:
    """The annotator's enrolment; a study without a published protocol starts straight at rating, unless
    `instructions_first` (a public-link participant, who leaves the instructions only after the screen check)."""
    enrolment = Enrolment.objects.filter(study=study, user=user).first()
    if enrolment is not None:
        return enrolment
    record, _ = protocol_current(study=study)
    phase = Phase.INSTRUCTIONS if record is not None or instructions_first else Phase.RATING
    enrolment, _ = Enrolment.objects.get_or_create(
        study=study, user=user, defaults={"phase": phase, "protocol": record}
    )
    return enrolment


@transaction.atomic
def enrolment_accept_instructions(*, enrolment: Enrolment) -> Enrolment:
    """Move on from the instructions; a public-link participant must have passed the screen check."""
    crowd_check_passed_or_refuse(study_id=enrolment.study_id, user_id=enrolment.user_id)
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


def enrolment_may_claim(*, enrolment: Enrolment, study: Study) -> bool:
    """Whether new images may be claimed for this annotator: rating phase, not paused, the study open."""
    return enrolment.phase == Phase.RATING and not enrolment.paused and study.status == Study.Status.OPEN


def enrolment_check_may_rate(*, enrolment: Enrolment, task: RatingTask) -> None:
    """Refuse a vote while the annotator is paused, on a break, or in another phase than the task's."""
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


def enrolment_count_vote(*, enrolment: Enrolment, task: RatingTask, score: float, protocol: Protocol) -> None:
    """Counters, breaks, gold failures and the move from training to qualification to rating (the enrolment
    locked by the vote's transaction)."""
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
