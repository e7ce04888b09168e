"""Reads, always scoped to the study and the user asking. Annotators see only their own tasks."""
from collections import defaultdict

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from annotation import vote_queries
from annotation.models import Enrolment, QualityItem, RatingTask, StimulusReview
from annotation.places import places_annotation
from common.errors import PermissionDeniedError
from moslab_science.rating.indicators import AnnotatorIndicators, annotator_indicators
from studies.models import Rating, Stimulus, Study, StudyProtocol

Kind = RatingTask.Kind
HIDDEN_KINDS = {Kind.GOLD: Kind.RATING, Kind.REPEAT: Kind.RATING}  # gold and repeats look like any other image


def task_next_for_user(*, study: Study, user: AbstractBaseUser) -> RatingTask | None:
    tasks = pending_tasks(study=study, user=user, limit=1).tasks
    return tasks[0] if tasks else None


def pending_tasks(*, study: Study, user: AbstractBaseUser, limit: int = 2) -> vote_queries.PendingTasks:
    """The user's next tasks and the study's votes so far (as `study_votes_done` counts them)."""
    return vote_queries.pending_tasks(study_id=study.pk, user_id=user.pk, limit=limit)


def enrolment_finished(*, study: Study, user: AbstractBaseUser) -> Enrolment | None:
    """The user's enrolment when nothing is left for them to rate (done, and no relabel waiting); else None."""
    enrolment = Enrolment.objects.filter(study=study, user=user, phase=Enrolment.Phase.DONE).first()
    if enrolment is None or RatingTask.objects.filter(study=study, annotator=user,
                                                      status=RatingTask.Status.PENDING).exists():
        return None
    return enrolment


def task_get_for_user(*, study: Study, user: AbstractBaseUser, task_id: int) -> RatingTask:
    task = RatingTask.objects.filter(study=study, annotator=user, pk=task_id).select_related("stimulus").first()
    if task is None:
        raise PermissionDeniedError("This task is not assigned to you in this study.")
    return task


def task_progress_for_user(*, study: Study, user: AbstractBaseUser) -> dict[str, int]:
    counts = RatingTask.objects.filter(study=study, annotator=user).aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(status=RatingTask.Status.DONE))
    )
    return {"done": counts["done"], "total": counts["total"]}


def task_payload(task: RatingTask, *, show_prompt: bool = False) -> dict:
    """What the page needs to show one task: never a score, never whether it is a check.

    `image_url` serves the stored bytes of an image or a video alike; the text prompt is sent only
    when the protocol shows it.
    """
    kind = HIDDEN_KINDS.get(task.kind, task.kind)
    return {
        "id": task.pk, "kind": kind,
        "image_url": reverse("studies:stimulus-image", args=[task.study_id, task.stimulus_id]),
        "width": task.stimulus.width, "height": task.stimulus.height, "media_type": task.stimulus.media_type,
        "duration_seconds": task.stimulus.duration_seconds, "prompt": task.stimulus.prompt if show_prompt else "",
    }


def study_votes_done(*, study: Study) -> int:
    """Study votes so far, summed from each enrolment's counter (one row per annotator), not counted from tasks."""
    return Enrolment.objects.filter(study=study).aggregate(done=Sum("study_votes"))["done"] or 0


def your_progress(*, study: Study, user_id: int) -> dict[str, vote_queries.Count]:
    """The annotator's tasks done and assigned per group of kinds (`vote_queries.PROGRESS_GROUPS`), for when
    no task is pending (otherwise `pending_tasks` reads them in its own query)."""
    counts = RatingTask.objects.filter(study=study, annotator_id=user_id).aggregate(**{
        f"{group}_{what}": Count("pk", filter=Q(kind__in=kinds, **({"status": RatingTask.Status.DONE} if what == "done"
                                                                   else {})))
        for group, kinds in vote_queries.PROGRESS_GROUPS.items() for what in ("done", "total")
    })
    return {group: vote_queries.Count(counts[f"{group}_done"], counts[f"{group}_total"])
            for group in vote_queries.PROGRESS_GROUPS}


def study_places(*, study: Study) -> int:
    """Rater places in the study: those of each image that is not a training, qualification or gold item."""
    return Stimulus.objects.filter(study=study).studied().annotate(
        places=places_annotation(raters_per_stimulus=study.raters_per_stimulus)).aggregate(
        total=Sum("places"))["total"] or 0


def queue_state(
    *, study: Study, enrolment: Enrolment, pending: vote_queries.PendingTasks, block_size: int,
    with_total: bool = True, show_prompt: bool = False, shown: int = 2,
) -> dict:
    """The rating page's state: phase, pause, break, the next `shown` tasks of `pending` and the progress bars.

    The study's number of rater places changes only when a coordinator changes the study, so the
    answer to a vote leaves it out (`with_total=False`) and the page keeps the one it has; so too the images
    still open to the annotator (`open_to_you`, which the page adds to their own for "image n of N").
    """
    now = timezone.now()
    break_left = int((enrolment.break_until - now).total_seconds()) + 1 if (
        enrolment.break_until and enrolment.break_until > now) else 0
    study_done = pending.study_done if pending.study_done is not None else study_votes_done(study=study)
    yours = pending.yours if pending.yours is not None else your_progress(study=study, user_id=enrolment.user_id)
    progress = {"block_done": enrolment.rated_in_block, "block_size": block_size, "study_done": study_done,
                "yours": {group: count._asdict() for group, count in yours.items()}}
    if with_total:
        progress["study_total"] = study_places(study=study)
        progress["open_to_you"] = vote_queries.open_places_count(
            study_id=study.pk, user_id=enrolment.user_id, raters_per_stimulus=study.raters_per_stimulus)
    return {
        "phase": enrolment.phase, "paused": enrolment.paused, "pause_reason": enrolment.pause_reason,
        "break_seconds_left": break_left, "progress": progress,
        "tasks": [task_payload(task, show_prompt=show_prompt) for task in pending.tasks[:shown]],
        "done_url": reverse("annotation:rate", args=[study.pk]),
    }


# --- coordinator reads --------------------------------------------------------------------------------

def review_queue(*, study: Study, hide_names: bool, dimensions: tuple[str, ...] = ("",)) -> list[dict]:
    """Open reviews with one row per rater: `score` (the first dimension's) and `scores` in `dimensions` order."""
    return review_rows(open_reviews(study=study), hide_names=hide_names, dimensions=dimensions)


def open_reviews(*, study: Study, search: str = "", rater: str = "", source: str = "") -> QuerySet[StimulusReview]:
    """The study's flagged stimuli waiting for a decision, oldest first; optionally names containing `search`,
    images `rater` (a username) voted on, images of one `source` content."""
    reviews = StimulusReview.objects.filter(study=study, status=StimulusReview.Status.OPEN).select_related("stimulus")
    if search:
        reviews = reviews.filter(stimulus__name__icontains=search)
    if rater:
        voted = Rating.objects.filter(study=study, rater__username=rater, purpose=Rating.Purpose.RATING)
        reviews = reviews.filter(stimulus__in=voted.values("stimulus"))
    if source:
        reviews = reviews.filter(stimulus__source_content=source)
    return reviews.order_by("created_at", "pk")


def review_spread(review: StimulusReview) -> float:
    """The disagreement the rule saw: the gap between the highest and the lowest vote on the image."""
    scores = [float(score) for score in review.scores.values()]
    return max(scores) - min(scores) if scores else 0.0


def open_reviews_filtered(*, study: Study, min_spread: float | None = None, **filters: str) -> list[StimulusReview]:
    """`open_reviews` whose votes span at least `min_spread` points (all of them when None)."""
    reviews = open_reviews(study=study, **filters)
    return [review for review in reviews if min_spread is None or review_spread(review) >= min_spread]


def review_filter_choices(*, study: Study, with_raters: bool) -> dict[str, list[str]]:
    """The source contents the open reviews' images have and, `with_raters` (names shown), the raters who voted
    on them (usernames), for the queue's filters."""
    stimuli = open_reviews(study=study).values("stimulus")
    raters = (Rating.objects.filter(study=study, stimulus__in=stimuli, purpose=Rating.Purpose.RATING)
              .order_by("rater__username").values_list("rater__username", flat=True).distinct()) if with_raters else []
    sources = (Stimulus.objects.filter(pk__in=stimuli).exclude(source_content="").order_by("source_content")
               .values_list("source_content", flat=True).distinct())
    return {"raters": list(raters), "sources": list(sources)}


def review_rows(reviews, *, hide_names: bool, dimensions: tuple[str, ...] = ("",)) -> list[dict]:
    """Each review of `reviews` with its votes, one per rater (names hidden as Rater A, B... if asked)."""
    rows = []
    for review in reviews:
        ratings = Rating.objects.filter(pk__in=[int(pk) for pk in review.scores]).select_related("rater")
        by_rater: dict[int, dict[str, Rating]] = defaultdict(dict)
        for rating in ratings.order_by("rater_id", "pk"):
            by_rater[rating.rater_id][rating.dimension] = rating
        votes = []
        for index, (rater_id, given) in enumerate(by_rater.items()):
            first = given.get(dimensions[0]) or next(iter(given.values()))  # the guideline's fields are on it
            scores = [given[name].score if name in given else None for name in dimensions]
            votes.append({"rater": f"Rater {chr(65 + index)}" if hide_names else first.rater.username,
                          "rater_id": rater_id, "score": first.score, "scores": scores,
                          "deductions": first.deductions, "reason": first.reason, "round": first.round,
                          "deviating": rater_id in review.deviating})
        rows.append({"review": review, "votes": votes})
    return rows


def review_get(*, study: Study, review_id: int) -> StimulusReview:
    review = StimulusReview.objects.filter(study=study, pk=review_id).first()
    if review is None:
        raise PermissionDeniedError("No such review in this study.")
    return review


def reviews_get(*, study: Study, review_ids: list[int]) -> list[StimulusReview]:
    """The study's reviews of these ids, in the order given; any id not of the study refuses them all."""
    reviews = StimulusReview.objects.filter(study=study, pk__in=review_ids).select_related("stimulus").in_bulk()
    missing = [str(pk) for pk in review_ids if pk not in reviews]
    if missing:
        raise PermissionDeniedError(f"No such review in this study: {', '.join(missing[:20])}.")
    return [reviews[pk] for pk in dict.fromkeys(review_ids)]


def protocol_versions(*, study: Study) -> list[StudyProtocol]:
    """Every protocol version of the study, newest first, with who published it."""
    return list(StudyProtocol.objects.filter(study=study).select_related("created_by").order_by("-version"))


def stimulus_names(*, study: Study) -> list[str]:
    return list(Stimulus.objects.filter(study=study).order_by("name").values_list("name", flat=True))


def example_images(*, study: Study, examples: tuple[dict, ...]) -> list[dict]:
    """The guideline's illustrated examples with the address of each image (examples naming no image are left out)."""
    ids = dict(Stimulus.objects.filter(study=study, name__in=[e["stimulus"] for e in examples])
               .values_list("name", "pk"))
    return [
        {"caption": example["caption"], "image_url": reverse("studies:stimulus-image", args=[study.pk, ids[name]])}
        for example in examples if (name := example["stimulus"]) in ids
    ]


def quality_item_counts(*, study: Study) -> dict[str, int]:
    """How many training, qualification and gold images the study has."""
    counts = dict(QualityItem.objects.filter(study=study).values("kind").annotate(n=Count("pk"))
                  .values_list("kind", "n"))
    return {kind: counts.get(kind, 0) for kind in QualityItem.Kind.values}


def enrolment_get(*, study: Study, enrolment_id: int) -> Enrolment:
    """One annotator's enrolment in this study (for a coordinator's decision)."""
    enrolment = Enrolment.objects.filter(study=study, pk=enrolment_id).select_related("user").first()
    if enrolment is None:
        raise PermissionDeniedError("No such annotator in this study.")
    return enrolment


def stimulus_coverage(*, study: Study) -> list[dict]:
    stimuli = Stimulus.objects.filter(study=study).studied().annotate(
        assigned=Count("rating_tasks", filter=Q(rating_tasks__kind=Kind.RATING)),
        done=Count("rating_tasks", filter=Q(rating_tasks__kind=Kind.RATING, rating_tasks__status="done")),
    ).order_by("name")
    verified = dict(Rating.objects.filter(study=study).current().values("stimulus_id")  # raters, not dimensions
                    .annotate(n=Count("rater", distinct=True)).values_list("stimulus_id", "n"))
    status = {}
    for review in StimulusReview.objects.filter(study=study).order_by("created_at"):
        status[review.stimulus_id] = review.get_status_display()
    return [{"stimulus": s, "assigned": s.assigned, "done": s.done, "verified": verified.get(s.pk, 0),
             "check": status.get(s.pk, "")} for s in stimuli]


def annotator_quality(*, study: Study, dimension: str = "") -> list[tuple[Enrolment, AnnotatorIndicators, float]]:
    """Each enrolled annotator with their indicators and total rating time in minutes.

    Computed on one rating dimension's votes (gold references are of a protocol's first dimension).
    """
    gold = {item.stimulus_id: item for item in QualityItem.objects.filter(study=study, kind=QualityItem.Kind.GOLD)}
    per_user: dict[int, list[Rating]] = defaultdict(list)
    for rating in Rating.objects.filter(study=study, dimension=dimension).order_by("created_at", "pk"):
        per_user[rating.rater_id].append(rating)
    rows = []
    for enrolment in Enrolment.objects.filter(study=study).select_related("user").order_by("user__username"):
        ratings = per_user.get(enrolment.user_id, [])
        study_votes = [r for r in ratings if r.purpose == Rating.Purpose.RATING and r.round == 0]
        first = {r.stimulus_id: r.score for r in study_votes}
        indicators = annotator_indicators(
            scores_in_order=[r.score for r in study_votes],
            response_ms=[r.response_time_ms for r in ratings if r.response_time_ms is not None],
            gold=[(r.score, gold[r.stimulus_id].reference_score, gold[r.stimulus_id].tolerance)
                  for r in ratings if r.purpose == Rating.Purpose.GOLD and r.stimulus_id in gold],
            repeats=[(first[r.stimulus_id], r.score) for r in ratings
                     if r.purpose == Rating.Purpose.REPEAT and r.stimulus_id in first],
        )
        minutes = sum(r.response_time_ms or 0 for r in ratings) / 60000
        rows.append((enrolment, indicators, minutes))
    return rows


def rating_history_rows(*, study: Study) -> list[list]:
    """Every vote ever stored in the study, oldest first, with who, when and why."""
    header = ["rating_id", "stimulus", "rater", "purpose", "dimension", "score", "suggested_score", "deductions",
              "reason", "round", "supersedes", "change_reason", "verified", "protocol_version", "response_time_ms",
              "created_at", "display"]
    rows = [header]
    for r in (Rating.objects.filter(study=study).select_related("stimulus", "rater", "protocol")
              .order_by("created_at", "pk")):
        rows.append([r.pk, r.stimulus.name, r.rater.username, r.purpose, r.dimension, r.score, r.suggested_score,
                     r.deductions, r.reason, r.round, r.supersedes_id or "", r.change_reason, r.verified,
                     r.protocol.version if r.protocol else "", r.response_time_ms, r.created_at.isoformat(),
                     r.display])
    return rows


def quality_items_for_study(*, study: Study, kind: str = "") -> QuerySet[QualityItem]:
    """The study's training, qualification and gold images by kind and image name; optionally one kind."""
    items = QualityItem.objects.filter(study=study).select_related("stimulus")
    if kind:
        items = items.filter(kind=kind)
    return items.order_by("kind", "stimulus__name", "pk")
