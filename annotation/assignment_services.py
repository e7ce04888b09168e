"""Assignment: rater places per stimulus, fixed panels (`assignment_create`) and on-demand block claims
(`queue_fill`), each queue ordered so that no two neighbours share a source content."""
import random
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, F, Max, Q

from annotation import vote_queries
from annotation.models import QualityItem, RatingTask
from annotation.places import places_annotation
from common.errors import DomainError
from moslab_science.rating.ordering import block_choice, spread_order
from moslab_science.rating.protocol import Protocol
from studies.models import Membership, Stimulus, Study

Kind = RatingTask.Kind


def next_position(*, study: Study, user_id: int) -> int:
    last = RatingTask.objects.filter(study=study, annotator_id=user_id).aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


@dataclass(frozen=True)
class AssignmentReport:
    created: int
    annotators: int


def _group(source_content: str, stimulus_id: int) -> str:
    return source_content or f"#{stimulus_id}"


def _capacity(*, study: Study) -> tuple[set[int], dict[int, int], dict[int, list[int]], dict[int, set[int]]]:
    """Quality-item stimuli, rater places per stimulus, slots taken, and who holds each stimulus."""
    quality = set(QualityItem.objects.filter(study=study).values_list("stimulus_id", flat=True))
    places = dict(
        Stimulus.objects.filter(study=study).exclude(pk__in=quality)
        .annotate(places=places_annotation(raters_per_stimulus=study.raters_per_stimulus))
        .values_list("pk", "places")
    )
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
        rows += _queue_rows(study=study, annotator_id=annotator_id, claimed=claimed, groups=groups, rng=rng,
                            previous=_last_group(study=study, annotator_id=annotator_id, groups=groups))
    RatingTask.objects.bulk_create(rows)
    return AssignmentReport(created=len(rows), annotators=len(new_tasks))


def _queue_rows(
    *, study: Study, annotator_id: int, claimed: list[tuple[int, int]], groups: dict[int, str],
    rng: random.Random, previous: str | None, extra: list[tuple[int, str]] = (),
) -> list[RatingTask]:
    """RatingTask rows appended to one annotator's queue in a spread order, after a last image of content
    `previous`. extra: (stimulus, kind)."""
    items = [(stimulus_id, Kind.RATING, slot) for stimulus_id, slot in claimed]
    items += [(stimulus_id, kind, None) for stimulus_id, kind in extra]
    ordered = spread_order(items, group=lambda item: _group(groups.get(item[0], ""), item[0]), rng=rng,
                           previous=previous)
    start = next_position(study=study, user_id=annotator_id)
    return [
        RatingTask(study=study, stimulus_id=stimulus_id, annotator_id=annotator_id, kind=kind, slot=slot,
                   position=start + offset)
        for offset, (stimulus_id, kind, slot) in enumerate(ordered)
    ]


def _last_group(*, study: Study, annotator_id: int, groups: dict[int, str]) -> str | None:
    """The source content of the last image in the annotator's queue: the next block must not start with it."""
    last = (
        RatingTask.objects.filter(study=study, annotator_id=annotator_id).order_by("-position")
        .values_list("stimulus_id", flat=True).first()
    )
    return _group(groups.get(last, ""), last) if last is not None else None


CLAIM_AHEAD = 5  # pending tasks left in a queue when a worker claims its next block (see session_next)
CLAIM_POOL_PER_PLACE = 25  # candidates read per block place: room for block_choice to keep contents apart


@transaction.atomic
def queue_fill(
    *, study: Study, user: AbstractBaseUser, protocol: Protocol, rng: random.Random | None = None,
    pending_at_most: int | None = None,
) -> int:
    """Claim the next block for `user`: stimuli still short of raters, most covered first.

    Claims are serialised per study by a row lock, and a unique (stimulus, slot) constraint makes
    an N+1-th rater impossible even without it. Gold and repeated items are mixed in. The block
    follows the annotator's last image with no two neighbours from one source content; near the
    end of a study that can mean a smaller block (see `ordering.block_choice`). The database counts
    the raters per stimulus and hands back only the most covered candidates (25 per block place),
    so a claim costs the same in a study of 500 images as in one of 20,000. With `pending_at_most`,
    nothing is claimed once the queue holds more pending tasks than that (checked under the lock, so
    two claims ahead for one queue add one block).
    """
    rng = rng or random.Random()
    if not vote_queries.open_place_exists(study_id=study.pk, user_id=user.pk,
                                          raters_per_stimulus=study.raters_per_stimulus):
        return 0  # nothing open: no need to wait for the study's lock (a place a coordinator adds now goes to others)
    Study.objects.select_for_update(no_key=True).filter(pk=study.pk).first()
    mine = RatingTask.objects.filter(study=study, annotator=user)
    if pending_at_most is not None and mine.filter(status=RatingTask.Status.PENDING).count() > pending_at_most:
        return 0
    candidates = _open_stimuli(study=study, user=user, limit=CLAIM_POOL_PER_PLACE * protocol.block_size)
    if not candidates:
        return 0
    open_stimuli = list(candidates)
    rng.shuffle(open_stimuli)
    open_stimuli.sort(key=lambda pk: -candidates[pk][0])
    extra: list[tuple[int, str]] = []
    if protocol.repeats_per_block:
        repeated = set(mine.filter(kind=Kind.REPEAT).values_list("stimulus_id", flat=True))
        rated = [pk for pk in mine.filter(kind=Kind.RATING, status=RatingTask.Status.DONE)
                 .values_list("stimulus_id", flat=True) if pk not in repeated]
        rng.shuffle(rated)
        extra += [(pk, Kind.REPEAT) for pk in rated[: protocol.repeats_per_block]]
    if protocol.gold_every:
        given = set(mine.filter(kind=Kind.GOLD).values_list("stimulus_id", flat=True))
        gold = [pk for pk in QualityItem.objects.filter(study=study, kind=QualityItem.Kind.GOLD)
                .values_list("stimulus_id", flat=True) if pk not in given]
        rng.shuffle(gold)
    last = mine.order_by("-position").values_list("stimulus_id", flat=True).first()
    groups = {pk: content for pk, (_, content) in candidates.items()}
    known = [pk for pk, _ in extra] + (gold if protocol.gold_every else []) + ([last] if last else [])
    groups.update(Stimulus.objects.filter(pk__in=known).values_list("pk", "source_content"))

    def group_of(pk: int) -> str:
        return _group(groups.get(pk, ""), pk)

    previous = group_of(last) if last is not None else None
    chosen = block_choice(open_stimuli, size=protocol.block_size, group=group_of, previous=previous,
                          fixed=[group_of(pk) for pk, _ in extra])
    if protocol.gold_every:  # one per `gold_every` study images over the whole queue, whatever the block sizes
        due = (mine.filter(kind=Kind.RATING).count() + len(chosen)) // protocol.gold_every - len(given)
        extra += [(pk, Kind.GOLD) for pk in gold[: max(0, due)]]
    slots: dict[int, list[int]] = defaultdict(list)
    for stimulus_id, slot in RatingTask.objects.filter(study=study, kind=Kind.RATING, stimulus_id__in=chosen) \
            .values_list("stimulus_id", "slot"):
        slots[stimulus_id].append(slot)
    claimed = [(pk, _free_slot(slots[pk])) for pk in chosen]
    rows = _queue_rows(study=study, annotator_id=user.pk, claimed=claimed, groups=groups, rng=rng,
                       previous=previous, extra=extra)
    RatingTask.objects.bulk_create(rows)
    return len(rows)


def _open_stimuli(*, study: Study, user: AbstractBaseUser, limit: int) -> dict[int, tuple[int, str]]:
    """Stimuli still short of raters that `user` holds no place of (quality items left out), most covered
    first: pk -> (raters so far, source content); at most `limit`, counted by the database."""
    held = RatingTask.objects.filter(study=study, annotator=user, kind=Kind.RATING).values("stimulus_id")
    rows = (
        Stimulus.objects.filter(study=study).studied().exclude(pk__in=held)
        .annotate(taken=Count("rating_tasks", filter=Q(rating_tasks__kind=Kind.RATING)),
                  places=places_annotation(raters_per_stimulus=study.raters_per_stimulus))
        .filter(taken__lt=F("places")).order_by("-taken", "pk")
        .values_list("pk", "taken", "source_content")[:limit]
    )
    return {pk: (taken, content) for pk, taken, content in rows}
