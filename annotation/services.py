"""Protocol versions, enrolment, assignment and rating submission: the only way votes enter a study."""
import logging
import random
import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from annotation import selectors
from annotation.models import Enrolment, QualityItem, RatingTask, StimulusReview
from annotation.ordering import spread_order
from annotation.protocol import Protocol, ProtocolError, protocol_from_dict
from annotation.review_services import crosscheck_if_complete
from common.errors import DomainError
from studies import services as study_services
from studies.models import Membership, Rating, Stimulus, Study, StudyProtocol

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
    last = StudyProtocol.objects.filter(study=study).aggregate(last=Max("version"))["last"] or 0
    record = StudyProtocol.objects.create(study=study, version=last + 1, config=config, note=note, created_by=by)
    Study.objects.filter(pk=study.pk).update(
        scale_min=protocol.scale_min, scale_max=protocol.scale_max,
        raters_per_stimulus=protocol.raters_per_stimulus,
    )
    study.refresh_from_db()
    return record


def quality_item_add(
    *, study: Study, stimulus: Stimulus, kind: str, reference_score: float, tolerance: float = 1.0,
    explanation: str = "",
) -> QualityItem:
    if stimulus.study_id != study.pk:
        raise DomainError("This stimulus is not part of this study.")
    if RatingTask.objects.filter(stimulus=stimulus, kind=Kind.RATING).exists():
        raise DomainError(f"{stimulus} is assigned for rating already; use another image as a {kind} item.")
    item, _ = QualityItem.objects.update_or_create(
        study=study, stimulus=stimulus, kind=kind,
        defaults={"reference_score": reference_score, "tolerance": tolerance, "explanation": explanation},
    )
    return item


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
            start = _next_position(study=enrolment.study, user_id=enrolment.user_id)
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


def _next_position(*, study: Study, user_id: int) -> int:
    last = RatingTask.objects.filter(study=study, annotator_id=user_id).aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


# --- assignment ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AssignmentReport:
    created: int
    annotators: int


def _group(source_content: str, stimulus_id: int) -> str:
    return source_content or f"#{stimulus_id}"


def _capacity(*, study: Study) -> tuple[set[int], dict[int, int], dict[int, list[int]], dict[int, set[int]]]:
    """Quality-item stimuli, rater places per stimulus, slots taken, and who holds each stimulus."""
    quality = set(QualityItem.objects.filter(study=study).values_list("stimulus_id", flat=True))
    extra = dict(
        StimulusReview.objects.filter(study=study, extra_raters__gt=0).values("stimulus_id")
        .annotate(extra=Sum("extra_raters")).values_list("stimulus_id", "extra")
    )
    places = {
        pk: study.raters_per_stimulus + extra.get(pk, 0)
        for pk in Stimulus.objects.filter(study=study).exclude(pk__in=quality).values_list("pk", flat=True)
    }
    slots: dict[int, list[int]] = defaultdict(list)
    holders: dict[int, set[int]] = defaultdict(set)
    for stimulus_id, annotator_id, slot in RatingTask.objects.filter(study=study, kind=Kind.RATING).values_list(
        "stimulus_id", "annotator_id", "slot"
    ):
        slots[stimulus_id].append(slot)
        holders[stimulus_id].add(annotator_id)
    return quality, places, slots, holders


def _free_slot(taken: list[int]) -> int:
    used = {slot for slot in taken if slot is not None}
    slot = len(taken) - len(used)  # legacy tasks without a slot fill the lowest places
    while slot in used:
        slot += 1
    return slot


@transaction.atomic
def assignment_create(*, study: Study, seed: int | None = None) -> AssignmentReport:
    """Give every stimulus its N distinct annotators now, least-loaded first (for fixed panels).

    Stimuli that already have tasks keep them and get only the missing ones; each annotator's
    new tasks are appended in a random order with no two neighbours from one source content.
    """
    Study.objects.select_for_update(no_key=True).get(pk=study.pk)
    annotators = list(
        Membership.objects.filter(study=study, role=Membership.Role.ANNOTATOR)
        .order_by("user_id").values_list("user_id", flat=True)
    )
    needed = study.raters_per_stimulus
    if len(annotators) < needed:
        raise DomainError(
            f"The study needs {needed} distinct raters per stimulus but has {len(annotators)} annotators; "
            "add annotators or lower raters per stimulus."
        )
    rng = random.Random(seed)
    _, places, slots, holders = _capacity(study=study)
    load = dict.fromkeys(annotators, 0)
    for stimulus_holders in holders.values():
        for annotator_id in stimulus_holders:
            load[annotator_id] = load.get(annotator_id, 0) + 1
    groups = dict(Stimulus.objects.filter(study=study).values_list("pk", "source_content"))
    stimuli = sorted(places)
    rng.shuffle(stimuli)
    new_tasks: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for stimulus_id in stimuli:
        missing = places[stimulus_id] - len(slots[stimulus_id])
        candidates = [a for a in annotators if a not in holders[stimulus_id]]
        rng.shuffle(candidates)
        for annotator_id in sorted(candidates, key=load.__getitem__)[:missing]:
            slot = _free_slot(slots[stimulus_id])
            slots[stimulus_id].append(slot)
            holders[stimulus_id].add(annotator_id)
            load[annotator_id] += 1
            new_tasks[annotator_id].append((stimulus_id, slot))
    rows = []
    for annotator_id, claimed in new_tasks.items():
        rows += _queue_rows(study=study, annotator_id=annotator_id, claimed=claimed, groups=groups, rng=rng)
    RatingTask.objects.bulk_create(rows)
    return AssignmentReport(created=len(rows), annotators=len(new_tasks))


def _queue_rows(
    *, study: Study, annotator_id: int, claimed: list[tuple[int, int]], groups: dict[int, str],
    rng: random.Random, extra: list[tuple[int, str]] = (),
) -> list[RatingTask]:
    """RatingTask rows appended to one annotator's queue in a spread order. extra: (stimulus, kind)."""
    last = (
        RatingTask.objects.filter(study=study, annotator_id=annotator_id).order_by("-position")
        .values_list("stimulus_id", flat=True).first()
    )
    previous = _group(groups.get(last, ""), last) if last is not None else None
    items = [(stimulus_id, Kind.RATING, slot) for stimulus_id, slot in claimed]
    items += [(stimulus_id, kind, None) for stimulus_id, kind in extra]
    ordered = spread_order(items, group=lambda item: _group(groups.get(item[0], ""), item[0]), rng=rng,
                           previous=previous)
    start = _next_position(study=study, user_id=annotator_id)
    return [
        RatingTask(study=study, stimulus_id=stimulus_id, annotator_id=annotator_id, kind=kind, slot=slot,
                   position=start + offset)
        for offset, (stimulus_id, kind, slot) in enumerate(ordered)
    ]


def _diverse(candidates: list[int], *, size: int, group) -> list[int]:
    """Up to `size` candidates in their order of preference, no source content taking more than half."""
    limit = max(1, size // 2)
    chosen, per_group, spare = [], defaultdict(int), []
    for pk in candidates:
        if len(chosen) == size:
            break
        if per_group[group(pk)] < limit:
            chosen.append(pk)
            per_group[group(pk)] += 1
        else:
            spare.append(pk)
    return chosen + spare[: size - len(chosen)]


@transaction.atomic
def queue_fill(*, study: Study, user: AbstractBaseUser, protocol: Protocol, rng: random.Random | None = None) -> int:
    """Claim the next block for `user`: stimuli still short of raters, most covered first.

    Claims are serialised per study by a row lock, and a unique (stimulus, slot) constraint makes
    an N+1-th rater impossible even without it. Gold and repeated items are mixed in.
    """
    rng = rng or random.Random()
    Study.objects.select_for_update(no_key=True).filter(pk=study.pk).first()
    _, places, slots, holders = _capacity(study=study)
    open_stimuli = [pk for pk, count in places.items() if len(slots[pk]) < count and user.pk not in holders[pk]]
    rng.shuffle(open_stimuli)
    open_stimuli.sort(key=lambda pk: -len(slots[pk]))
    groups = dict(Stimulus.objects.filter(study=study).values_list("pk", "source_content"))
    chosen = _diverse(open_stimuli, size=protocol.block_size, group=lambda pk: _group(groups.get(pk, ""), pk))
    if not chosen:
        return 0
    claimed = [(pk, _free_slot(slots[pk])) for pk in chosen]
    extra: list[tuple[int, str]] = []
    mine = RatingTask.objects.filter(study=study, annotator=user)
    if protocol.gold_every:
        done_gold = set(mine.filter(kind=Kind.GOLD).values_list("stimulus_id", flat=True))
        gold = [pk for pk in QualityItem.objects.filter(study=study, kind=QualityItem.Kind.GOLD)
                .values_list("stimulus_id", flat=True) if pk not in done_gold]
        rng.shuffle(gold)
        extra += [(pk, Kind.GOLD) for pk in gold[: len(chosen) // protocol.gold_every]]
    if protocol.repeats_per_block:
        repeated = set(mine.filter(kind=Kind.REPEAT).values_list("stimulus_id", flat=True))
        rated = [pk for pk in mine.filter(kind=Kind.RATING, status=RatingTask.Status.DONE)
                 .values_list("stimulus_id", flat=True) if pk not in repeated]
        rng.shuffle(rated)
        extra += [(pk, Kind.REPEAT) for pk in rated[: protocol.repeats_per_block]]
    rows = _queue_rows(study=study, annotator_id=user.pk, claimed=claimed, groups=groups, rng=rng, extra=extra)
    RatingTask.objects.bulk_create(rows)
    return len(rows)


# --- submission -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SubmitResult:
    task_id: int
    rating_id: int
    created: bool
    feedback: dict | None = field(default=None)


def rating_submit(
    *, task: RatingTask, user: AbstractBaseUser, score: float, client_id: uuid.UUID,
    response_time_ms: int | None = None, deductions: dict[str, str] | None = None, reason: str = "",
    display: dict | None = None,
) -> SubmitResult:
    """Close `task` with a vote; replaying the same client id returns the stored vote.

    `deductions` (aspect -> severity) is optional for programmatic clients; when given, a score far
    from the guideline's suggestion needs a one-line `reason`.
    """
    with transaction.atomic():
        locked = RatingTask.objects.select_for_update(of=("self",), no_key=True)
        task = locked.select_related("study", "stimulus", "rating").get(pk=task.pk)
        if task.annotator_id != user.pk:
            raise DomainError("This task is not assigned to you.")
        if task.status == RatingTask.Status.DONE:
            if task.rating.client_id == client_id and task.rating.score == score:
                return SubmitResult(task_id=task.pk, rating_id=task.rating_id, created=False,
                                    feedback=_feedback(task, task.rating.score))
            raise DomainError("You have rated this image already.")
        study = task.study
        if study.status != Study.Status.OPEN:
            raise DomainError(f"The study is {study.get_status_display().lower()}; ratings are not accepted.")
        enrolment = _enrolment_locked(study=study, user=user)
        _check_may_rate(enrolment=enrolment, task=task)
        record, protocol = protocol_current(study=study)
        problems = protocol.vote_problems(score=score, deductions=deductions or {}, reason=reason)
        if deductions is None:
            problems = [problem for problem in problems if "say in one line why" not in problem]
        if problems:
            raise DomainError(" ".join(problems))
        supersedes = None
        if task.kind == Kind.RELABEL:
            Stimulus.objects.select_for_update(no_key=True).filter(pk=task.stimulus_id).first()
            supersedes = (
                Rating.objects.filter(stimulus=task.stimulus, rater=user).latest_per_rater().first()
            )
        elif task.kind == Kind.RATING:
            Stimulus.objects.select_for_update(no_key=True).filter(pk=task.stimulus_id).first()
        details = {
            "purpose": PURPOSE_OF_KIND[task.kind], "protocol": record, "deductions": deductions or {},
            "suggested_score": protocol.suggested_score(deductions) if deductions is not None else None,
            "reason": reason.strip()[:300], "display": display or {}, "round": task.round, "supersedes": supersedes,
            "change_reason": f"relabel round {task.round} after the cross-check" if supersedes else "",
        }
        rating, created = study_services.rating_record(
            study=study, stimulus=task.stimulus, rater=user, score=score, client_id=client_id,
            response_time_ms=response_time_ms, details=details,
        )
        task.rating = rating
        task.status = RatingTask.Status.DONE
        task.save(update_fields=["rating", "status", "updated_at"])
        _after_vote(enrolment=enrolment, task=task, score=score, protocol=protocol)
        if task.kind in (Kind.RATING, Kind.RELABEL):
            crosscheck_if_complete(stimulus=task.stimulus, protocol=protocol)
    return SubmitResult(task_id=task.pk, rating_id=rating.pk, created=created, feedback=_feedback(task, score))


def _enrolment_locked(*, study: Study, user: AbstractBaseUser) -> Enrolment:
    enrolment = enrolment_get_or_start(study=study, user=user)
    return Enrolment.objects.select_for_update(no_key=True).get(pk=enrolment.pk)


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
    pending_same_kind = RatingTask.objects.filter(
        study=task.study, annotator_id=enrolment.user_id, kind=task.kind, status=RatingTask.Status.PENDING
    ).exists()
    if task.kind == Kind.TRAINING and not pending_same_kind:
        _enter_phase(enrolment, Phase.QUALIFICATION)
        return
    if task.kind == Kind.QUALIFICATION and not pending_same_kind:
        _qualification_decide(enrolment=enrolment, protocol=protocol)
        return
    if task.kind in PHASE_OF_KIND:
        return
    if task.kind == Kind.GOLD:
        item = QualityItem.objects.get(stimulus=task.stimulus, kind=QualityItem.Kind.GOLD)
        if abs(score - item.reference_score) > item.tolerance:
            enrolment.gold_failures += 1
            if protocol.gold_pause_after and enrolment.gold_failures >= protocol.gold_pause_after:
                enrolment.paused = True
                enrolment.pause_reason = f"{enrolment.gold_failures} gold checks failed"
                logger.warning("Paused %s in study %s: %s", enrolment.user, task.study, enrolment.pause_reason)
    enrolment.rated_in_block += 1
    if enrolment.rated_in_block >= protocol.block_size:
        enrolment.rated_in_block = 0
        if protocol.break_seconds:
            enrolment.break_until = timezone.now() + timedelta(seconds=protocol.break_seconds)
    enrolment.save()


def _qualification_decide(*, enrolment: Enrolment, protocol: Protocol) -> None:
    references = {
        item.stimulus_id: item
        for item in QualityItem.objects.filter(study=enrolment.study, kind=QualityItem.Kind.QUALIFICATION)
    }
    votes = Rating.objects.filter(
        study=enrolment.study, rater_id=enrolment.user_id, purpose=Rating.Purpose.QUALIFICATION
    ).values_list("stimulus_id", "score")
    hits = [abs(score - references[pk].reference_score) <= references[pk].tolerance
            for pk, score in votes if pk in references]
    enrolment.qualification_score = sum(hits) / len(hits) if hits else 0.0
    if enrolment.qualification_score >= protocol.qualification_threshold:
        enrolment.phase = Phase.RATING
    else:
        enrolment.paused = True
        enrolment.pause_reason = (
            f"qualification not passed: {enrolment.qualification_score:.0%} within tolerance, "
            f"{protocol.qualification_threshold:.0%} needed"
        )
        logger.warning("Qualification failed for %s in study %s", enrolment.user, enrolment.study)
    enrolment.save()


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


def session_next(*, study: Study, user: AbstractBaseUser) -> tuple[Enrolment, dict]:
    """The annotator's state and next two tasks, claiming a new block when the queue has run dry."""
    enrolment = enrolment_get_or_start(study=study, user=user)
    _, protocol = protocol_current(study=study)
    if (enrolment.phase == Phase.RATING and not enrolment.paused and study.status == Study.Status.OPEN
            and not RatingTask.objects.filter(study=study, annotator=user, status=RatingTask.Status.PENDING).exists()
            and queue_fill(study=study, user=user, protocol=protocol) == 0):
        enrolment = enrolment_finish_if_done(enrolment=enrolment, protocol=protocol)
    places = study.raters_per_stimulus * Stimulus.objects.filter(study=study).exclude(
        pk__in=QualityItem.objects.filter(study=study).values("stimulus_id")).count()
    state = selectors.queue_state(study=study, enrolment=enrolment, block_size=protocol.block_size,
                                  study_places=places)
    state["completion_code"] = enrolment.completion_code if enrolment.phase == Phase.DONE else ""
    return enrolment, state
