"""Reads, always scoped to the study and the user asking."""
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet

from common.errors import PermissionDeniedError
from studies.models import (
    Membership,
    MosComputation,
    Rating,
    Stimulus,
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


def studies_for_user(*, user: AbstractBaseUser) -> list[tuple[Study, list[str]]]:
    roles: dict[int, list[str]] = {}
    for study_id, role in Membership.objects.filter(user=user).values_list("study_id", "role"):
        roles.setdefault(study_id, []).append(role)
    studies = Study.objects.filter(pk__in=roles).order_by("name")
    return [(study, sorted(roles[study.pk])) for study in studies]


def stimulus_get_for_user(*, study: Study, stimulus_id: int) -> Stimulus:
    stimulus = Stimulus.objects.filter(study=study, pk=stimulus_id).first()
    if stimulus is None:
        raise PermissionDeniedError("No such stimulus in this study.")
    return stimulus


def study_rating_rows(*, study: Study) -> list[tuple[str, str, float]]:
    """Every vote of the study as (stimulus name, rater username, score)."""
    return list(
        Rating.objects.filter(study=study)
        .order_by("stimulus__name", "rater__username", "created_at")
        .values_list("stimulus__name", "rater__username", "score")
    )


def study_progress(*, study: Study) -> dict[str, int]:
    """Per stimulus, the raters who gave it a study vote: relabels and quality-control votes add no one."""
    study_votes = Q(ratings__purpose=Rating.Purpose.RATING)
    stimuli = Stimulus.objects.filter(study=study).annotate(votes=Count("ratings__rater", filter=study_votes,
                                                                      distinct=True))
    counts = [stimulus.votes for stimulus in stimuli]
    target = study.raters_per_stimulus
    return {
        "stimuli": len(counts),
        "ratings": sum(counts),
        "target_ratings": target * len(counts),
        "complete_stimuli": sum(1 for count in counts if count >= target),
    }


def mos_computations_for_study(*, study: Study) -> QuerySet[MosComputation]:
    return MosComputation.objects.filter(study=study).select_related("requested_by")


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
