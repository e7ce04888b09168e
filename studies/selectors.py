"""Reads, always scoped to the study and the user asking."""
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Q, QuerySet

from common.errors import DomainError, PermissionDeniedError
from common.rows import columns, instance, table
from moslab_science.errors import excerpt
from studies.models import (
    Membership,
    MosComputation,
    Rating,
    Stimulus,
    StimulusMos,
    Study,
    StudyProtocol,
    SubjectDecision,
    SubjectReport,
)

Role = Membership.Role


def study_roles(*, study: Study, user: AbstractBaseUser) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(Membership.objects.filter(study=study, user=user).values_list("role", flat=True))


def may_create_studies(user: AbstractBaseUser) -> bool:
    """Staff, and members of the MOSLAB_STUDY_CREATORS_GROUP group ("study creators"), make studies; the maker
    becomes the study's coordinator (docs/coordinators.md)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or user.groups.filter(name=settings.MOSLAB_STUDY_CREATORS_GROUP).exists()


def study_get_for_user(*, study_id: int, user: AbstractBaseUser, roles: Iterable[str]) -> Study:
    """The study, if `user` holds one of `roles` in it; otherwise PermissionDeniedError.

    The message is the same whether the study exists or not, so ids leak nothing.
    """
    study = Study.objects.filter(
        pk=study_id, memberships__user_id=user.pk, memberships__role__in=list(roles)
    ).first() if user.is_authenticated else None
    if study is None:
        raise PermissionDeniedError("No such study, or you have no role in it that allows this.")
    return study


def studies_for_user(*, user: AbstractBaseUser, status: str = "", role: str = "",
                     search: str = "") -> list[tuple[Study, list[str]]]:
    """The studies `user` holds a role in, with those roles, by name; optionally only those with `status`,
    those where the user holds `role`, and those whose name or slug contains `search`."""
    roles: dict[int, list[str]] = {}
    for study_id, held in Membership.objects.filter(user=user).values_list("study_id", "role"):
        roles.setdefault(study_id, []).append(held)
    studies = Study.objects.filter(pk__in=[pk for pk, held in roles.items() if not role or role in held])
    if status:
        studies = studies.filter(status=status)
    if search:
        studies = studies.filter(Q(name__icontains=search) | Q(slug__icontains=search))
    return [(study, sorted(roles[study.pk])) for study in studies.order_by("name", "pk")]


def memberships_for_study(*, study: Study, role: str = "", search: str = "") -> QuerySet[Membership]:
    """Who holds which role in the study, by username; optionally one role, or usernames containing `search`."""
    memberships = Membership.objects.filter(study=study).select_related("user")
    if role:
        memberships = memberships.filter(role=role)
    if search:
        memberships = memberships.filter(user__username__icontains=search)
    return memberships.order_by("user__username", "role", "pk")


def membership_get(*, study: Study, membership_id: int) -> Membership:
    membership = Membership.objects.filter(study=study, pk=membership_id).select_related("user").first()
    if membership is None:
        raise PermissionDeniedError("No such member in this study.")
    return membership


def user_get_by_identifier(*, identifier: str) -> AbstractBaseUser:
    """An active account by its username, or by its e-mail when `identifier` has an @ (to give it a role); a clear
    error when there is none, or when several accounts share the e-mail."""
    identifier = identifier.strip()
    users = get_user_model().objects.filter(is_active=True)
    if "@" in identifier:
        found = list(users.filter(email__iexact=identifier)[:2])
        if len(found) > 1:
            raise DomainError(f"Several accounts use the e-mail {excerpt(identifier)}; add the person by username.")
    else:
        found = list(users.filter(username=identifier)[:1])
    if not found:
        raise DomainError(f"No active account is named or has the e-mail {excerpt(identifier) or '(empty)'}; check "
                          "the spelling, or send the person an invitation link.")
    return found[0]


def stimuli_for_study(*, study: Study, search: str = "", media_type: str = "",
                      source_content: str = "") -> QuerySet[Stimulus]:
    """The study's stimuli by name; optionally names containing `search`, one media type, one source content."""
    stimuli = Stimulus.objects.filter(study=study)
    if search:
        stimuli = stimuli.filter(name__icontains=search)
    if media_type:
        stimuli = stimuli.filter(media_type=media_type)
    if source_content:
        stimuli = stimuli.filter(source_content=source_content)
    return stimuli.order_by("name", "pk")


def stimulus_get_for_user(*, study: Study, stimulus_id: int) -> Stimulus:
    stimulus = Stimulus.objects.filter(study=study, pk=stimulus_id).first()
    if stimulus is None:
        raise PermissionDeniedError("No such stimulus in this study.")
    return stimulus


MEDIA_FIELDS = ("id", "study", "file", "image_format", "sha256")


def stimulus_media_get_for_member(*, study_id: int, stimulus_id: int, user: AbstractBaseUser) -> Stimulus:
    """The stimulus (only its id, study, file, format and sha256 loaded) if `user` holds any role in its study;
    otherwise PermissionDeniedError, the same whether the study or stimulus exists or not.

    One query written once (`common.rows`; the ORM took about 2 ms of Python to read the study and the stimulus
    apart): the rating page fetches every image it shows through it.
    """
    fields_sql, loaders = columns(Stimulus, "s", MEDIA_FIELDS)
    sql = (f"SELECT {fields_sql} FROM {table(Stimulus)} s WHERE s.id = %s AND s.study_id = %s AND EXISTS "
           f"(SELECT 1 FROM {table(Membership)} m WHERE m.study_id = s.study_id AND m.user_id = %s "
           f"AND m.role IN ({', '.join(['%s'] * len(Role.values))}))")
    low, high = connection.ops.integer_field_range(Stimulus._meta.pk.get_internal_type())
    row = None
    if user.is_authenticated and low <= stimulus_id <= high and low <= study_id <= high:  # ids in a URL: any size
        with connection.cursor() as cursor:
            cursor.execute(sql, [stimulus_id, study_id, user.pk, *Role.values])
            row = cursor.fetchone()
    if row is None:
        raise PermissionDeniedError("No such study or stimulus, or you have no role in that study.")
    return instance(Stimulus, loaders, row)


def study_rating_rows(*, study: Study) -> list[tuple[str, str, float]]:
    """Every vote of the study as (stimulus name, rater username, score)."""
    return list(
        Rating.objects.filter(study=study)
        .order_by("stimulus__name", "rater__username", "created_at")
        .values_list("stimulus__name", "rater__username", "score")
    )


def study_progress(*, study: Study) -> dict[str, int]:
    """Per stimulus, the raters who gave it a study vote: relabels and quality-control votes add no one.

    `awaiting_review`: complete stimuli none of whose votes is verified yet (the cross-check flagged them and
    a coordinator has not decided, or a relabel is pending); MOS leaves them out until then.
    Training, qualification and gold items are not counted.
    """
    study_votes = Q(ratings__purpose=Rating.Purpose.RATING)
    stimuli = Stimulus.objects.filter(study=study).studied().annotate(
        votes=Count("ratings__rater", filter=study_votes, distinct=True),
        verified=Count("ratings", filter=study_votes & Q(ratings__verified=True)))
    counts = list(stimuli.order_by().values_list("votes", "verified"))
    target = study.raters_per_stimulus
    return {
        "stimuli": len(counts),
        "ratings": sum(votes for votes, _ in counts),
        "target_ratings": target * len(counts),
        "complete_stimuli": sum(1 for votes, _ in counts if votes >= target),
        "awaiting_review": sum(1 for votes, verified in counts if votes >= target and not verified),
    }


def study_has_video(*, study: Study) -> bool:
    return Stimulus.objects.filter(study=study, media_type=Stimulus.MediaType.VIDEO).exists()


def mos_computations_for_study(*, study: Study, status: str = "", method: str = "",
                               dimension: str | None = None) -> QuerySet[MosComputation]:
    """The study's MOS computations, newest first; optionally one status, one method, one dimension."""
    computations = MosComputation.objects.filter(study=study).select_related("requested_by")
    if status:
        computations = computations.filter(status=status)
    if method:
        computations = computations.filter(method=method)
    if dimension is not None:
        computations = computations.filter(dimension=dimension)
    return computations.order_by("-created_at", "-pk")


def mos_results_of(*, computation: MosComputation, search: str = "") -> QuerySet[StimulusMos]:
    """One computation's per-stimulus rows by stimulus name; optionally names containing `search`."""
    results = computation.results.select_related("stimulus")
    if search:
        results = results.filter(stimulus__name__icontains=search)
    return results.order_by("stimulus__name", "pk")


def subject_reports_of(*, computation: MosComputation, rejected: bool | None = None) -> QuerySet[SubjectReport]:
    """One computation's report on each rater by username; optionally only the rejected (or kept) ones."""
    reports = computation.subject_reports.select_related("rater")
    if rejected is not None:
        reports = reports.filter(rejected=rejected)
    return reports.order_by("rater__username", "pk")


def study_rater_get(*, study: Study, rater_id: int) -> AbstractBaseUser:
    """A user who voted in the study (for an override of screening)."""
    rater = get_user_model().objects.filter(pk=rater_id, ratings__study=study).distinct().first()
    if rater is None:
        raise PermissionDeniedError("No such rater in this study.")
    return rater


def mos_computation_get(*, study: Study, computation_id: int) -> MosComputation:
    computation = MosComputation.objects.filter(study=study, pk=computation_id).first()
    if computation is None:
        raise PermissionDeniedError("No such MOS computation in this study.")
    return computation


RESULTS_PER_PAGE = 100


def mos_results_page(*, computation: MosComputation, page: str | int | None) -> tuple[Page, list]:
    """One page of a computation's stored per-stimulus rows, by stimulus name, and its rows. A page is a range
    of the rows' stored `position` read through its index (never an OFFSET), so a 100,000-stimulus result
    costs what a 100-stimulus one does; a page number out of range (or not a number) gives the nearest page."""
    numbered = Paginator(range(computation.results.count()), RESULTS_PER_PAGE).get_page(page)
    positions = numbered.object_list
    rows = (computation.results.filter(position__gte=positions.start, position__lt=positions.stop)
            .select_related("stimulus").order_by("position")
            .only("computation", "mos", "std", "ci95", "count", "stimulus__name", "stimulus__groups"))
    return numbered, list(rows)


def subject_report_get(*, computation: MosComputation, rater_id) -> SubjectReport:
    if not str(rater_id).isdigit():
        raise PermissionDeniedError("No such rater in this computation.")
    report = SubjectReport.objects.filter(computation=computation, rater_id=rater_id).select_related("rater").first()
    if report is None:
        raise PermissionDeniedError("No such rater in this computation.")
    return report


def subject_decisions_for_study(*, study: Study) -> QuerySet[SubjectDecision]:
    """Every override ever made in the study, newest first: the audit trail."""
    return SubjectDecision.objects.filter(study=study).select_related("rater", "decided_by")


def protocol_dimensions(config) -> list[tuple[str, str]]:
    """(name, label) of each rating dimension a protocol config declares under ``dimensions``; [] for a
    single-score protocol. Read defensively: entries are {"name", "label"} objects or plain names, and
    anything else (a missing name, a duplicate, a config that is not an object) is skipped."""
    entries = config.get("dimensions") if isinstance(config, dict) else None
    dimensions: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        name, label = (entry.get("name"), entry.get("label")) if isinstance(entry, dict) else (entry, None)
        if isinstance(name, str) and name.strip() and name.strip() not in dimensions:
            dimensions[name.strip()] = label.strip() if isinstance(label, str) and label.strip() else name.strip()
    return list(dimensions.items())


def study_dimensions(*, study: Study) -> list[tuple[str, str]]:
    """The study's rating dimensions as (name, label): those its newest protocol declares, then any other
    dimension its votes carry (an earlier protocol's); [] for a single-score study."""
    protocol = StudyProtocol.objects.filter(study=study).order_by("-version").first()
    dimensions = dict(protocol_dimensions(protocol.config if protocol else None))
    voted = Rating.objects.filter(study=study).exclude(dimension="").values_list("dimension", flat=True).distinct()
    for name in sorted(set(voted) - dimensions.keys()):
        dimensions[name] = name
    return list(dimensions.items())


def dimension_chosen(*, study: Study, dimension: str | None) -> str:
    """The dimension a page asked for (it must be one of the study's), else the study's first dimension,
    else "" (the single score)."""
    names = [name for name, _ in study_dimensions(study=study)]
    if dimension:
        if dimension not in names:
            raise PermissionDeniedError("No such rating dimension in this study.")
        return dimension
    if dimension == "" or not names:
        return ""
    return names[0]
