"""Reads, scoped to the challenge and the user asking; hidden scores and MOS reach only organisers until published.

Participants get plain views (dataclasses), never model rows holding hidden figures.
"""
import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.utils import timezone

from challenges.data import parts_of
from challenges.models import Challenge, FactSheet, Participant, ParticipantBundle, Phase, Submission, Team
from common.errors import DomainError, PermissionDeniedError
from common.jobs import ENDED_EARLY, JobState
from moslab_science.challenges.scoring import ScoreSpec
from studies.models import Membership

ORGANISER_ROLES = (Membership.Role.COORDINATOR, Membership.Role.RESEARCHER)
NOT_FOUND = "No such challenge, or it is not open to you."


def is_organiser(*, challenge: Challenge, user: AbstractBaseUser) -> bool:
    """Coordinators and researchers of the version's study (active accounts only)."""
    if not (user.is_authenticated and user.is_active):
        return False
    return Membership.objects.filter(study=challenge.version.study_id, user=user, role__in=ORGANISER_ROLES).exists()


def require_organiser(*, challenge: Challenge, user: AbstractBaseUser) -> None:
    if not is_organiser(challenge=challenge, user=user):
        raise PermissionDeniedError("Only the challenge's organisers (coordinators and researchers of its study) "
                                    "may do this.")


def challenges_for_user(*, user: AbstractBaseUser, search: str = "") -> list[Challenge]:
    """Public challenges, and those the user organises, newest first; optionally titles or slugs containing
    `search`."""
    if not user.is_authenticated:
        return []
    studies = Membership.objects.filter(user=user, role__in=ORGANISER_ROLES).values("study_id")
    challenges = Challenge.objects.filter(Q(is_public=True) | Q(version__study__in=studies))
    if search:
        challenges = challenges.filter(Q(title__icontains=search) | Q(slug__icontains=search))
    return list(challenges.distinct().order_by("-created_at", "-pk"))


def challenge_get_for_user(*, slug: str, user: AbstractBaseUser) -> Challenge:
    """The challenge if it is public or the user organises it; the same refusal either way."""
    challenge = Challenge.objects.select_related("version", "split").filter(slug=slug).first()
    if challenge is None or not user.is_authenticated:
        raise PermissionDeniedError(NOT_FOUND)
    if not challenge.is_public and not is_organiser(challenge=challenge, user=user):
        raise PermissionDeniedError(NOT_FOUND)
    return challenge


def phases_of(*, challenge: Challenge) -> list[Phase]:
    return list(challenge.phases.order_by("opens_at", "pk"))


def phase_get(*, challenge: Challenge, phase_id) -> Phase:
    phase = Phase.objects.filter(challenge=challenge, pk=phase_id).first() if str(phase_id).isdigit() else None
    if phase is None:
        raise PermissionDeniedError("No such phase in this challenge.")
    return phase


def phase_is_open(phase: Phase, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return phase.opens_at <= now < phase.closes_at


def scores_visible(*, phase: Phase, user: AbstractBaseUser) -> bool:
    """Development scores are public; test scores once published; organisers always see them."""
    if phase.kind == Phase.Kind.DEVELOPMENT or phase.results_published_at is not None:
        return True
    return is_organiser(challenge=phase.challenge, user=user)


def mos_visible(*, phase: Phase, user: AbstractBaseUser) -> bool:
    """MOS of a scored part (scatter plots): organisers, or anyone once the phase's results are published."""
    return phase.results_published_at is not None or is_organiser(challenge=phase.challenge, user=user)


def participant_get(*, challenge: Challenge, user: AbstractBaseUser) -> Participant | None:
    if not user.is_authenticated:
        return None
    return Participant.objects.select_related("team").filter(challenge=challenge, user=user).first()


def team_members(*, team: Team) -> list[str]:
    return list(team.members.order_by("user__username").values_list("user__username", flat=True))


# Submissions ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmissionView:
    id: int
    team: str
    phase_id: int
    phase_kind: str
    submitted_by: str
    original_name: str
    sha256: str
    created_at: dt.datetime
    status: str
    scores: dict | None  # None while hidden (test phase before publication)
    scores_hidden: bool
    error: str
    is_final: bool
    fact_sheet: dict | None
    job: JobState


def _view(submission: Submission, *, visible: bool) -> SubmissionView:
    sheet = FactSheet.objects.filter(submission=submission).first()
    return SubmissionView(
        id=submission.pk, team=submission.team.name, phase_id=submission.phase_id, phase_kind=submission.phase.kind,
        submitted_by=submission.submitted_by.get_username(), original_name=submission.original_name,
        sha256=submission.sha256, created_at=submission.created_at, status=submission.status,
        scores=dict(submission.scores) if visible and submission.scores else None,
        scores_hidden=not visible, error=submission.error, is_final=submission.is_final,
        fact_sheet=fact_sheet_dict(sheet) if sheet else None, job=JobState.of(submission),
    )


def fact_sheet_dict(sheet: FactSheet) -> dict:
    return {"method": sheet.method, "parameters_m": sheet.parameters_m, "input_size": sheet.input_size,
            "gflops": sheet.gflops, "ensemble": sheet.ensemble, "extra_data": sheet.extra_data,
            "code_url": sheet.code_url}


def team_submissions(
    *, challenge: Challenge, user: AbstractBaseUser, phase: Phase | None = None
) -> list[SubmissionView]:
    """The history of the user's own team (nothing when the user has no team)."""
    participant = participant_get(challenge=challenge, user=user)
    if participant is None or participant.team_id is None:
        return []
    rows = Submission.objects.filter(team=participant.team_id, phase__challenge=challenge)
    if phase is not None:
        rows = rows.filter(phase=phase)
    rows = rows.select_related("team", "phase", "phase__challenge", "submitted_by")
    return [_view(row, visible=scores_visible(phase=row.phase, user=user)) for row in rows]


def submission_get_for_user(*, challenge: Challenge, submission_id, user: AbstractBaseUser) -> SubmissionView:
    """One submission of the user's own team (any team's for organisers)."""
    rows = Submission.objects.filter(phase__challenge=challenge).select_related("team", "phase", "submitted_by")
    if not is_organiser(challenge=challenge, user=user):
        participant = participant_get(challenge=challenge, user=user)
        rows = rows.filter(team=participant.team_id) if participant and participant.team_id else rows.none()
    submission = rows.filter(pk=submission_id).first() if str(submission_id).isdigit() else None
    if submission is None:
        raise PermissionDeniedError("No such submission of your team.")
    return _view(submission, visible=scores_visible(phase=submission.phase, user=user))


def submissions_for_organiser(*, challenge: Challenge, user: AbstractBaseUser,
                              phase: Phase | None = None) -> list[SubmissionView]:
    require_organiser(challenge=challenge, user=user)
    rows = Submission.objects.filter(phase__challenge=challenge).select_related("team", "phase", "submitted_by")
    if phase is not None:
        rows = rows.filter(phase=phase)
    return [_view(row, visible=True) for row in rows]


@dataclass(frozen=True)
class Quota:
    used_today: int
    left_today: int
    used_total: int
    left_total: int


def counted_submissions(*, team_id: int, phase: Phase):
    """The submissions a limit counts: every accepted one except those whose scoring failed or was cancelled."""
    return Submission.objects.filter(team=team_id, phase=phase).exclude(status__in=ENDED_EARLY)


def utc_day_start(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def submission_quota(*, phase: Phase, team_id: int, now: dt.datetime | None = None) -> Quota:
    rows = counted_submissions(team_id=team_id, phase=phase)
    total = rows.count()
    today = rows.filter(created_at__gte=utc_day_start(now or timezone.now())).count()
    return Quota(today, max(phase.max_per_day - today, 0), total, max(phase.max_total - total, 0))


# The participants' download ---------------------------------------------------------------------------------------


def bundle_latest(*, challenge: Challenge, user: AbstractBaseUser) -> ParticipantBundle | None:
    """The newest build of the participants' zip, whatever its state (organisers only)."""
    require_organiser(challenge=challenge, user=user)
    return challenge.bundles.order_by("-created_at", "-pk").first()


def challenge_bundle_for_user(*, challenge: Challenge, user: AbstractBaseUser) -> ParticipantBundle:
    """The current built bundle, for registered participants and organisers."""
    registered = challenge.is_public and participant_get(challenge=challenge, user=user) is not None
    if not registered and not is_organiser(challenge=challenge, user=user):
        raise PermissionDeniedError("Register for the challenge (accepting its terms) to download the data.")
    bundle = challenge.bundles.filter(status=ParticipantBundle.Status.SUCCEEDED).order_by("-created_at", "-pk").first()
    if bundle is None:
        raise DomainError("The download is being prepared; try again in a few minutes.")
    return bundle


# What a challenge page shows ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseInfo:
    id: int
    kind: str
    label: str
    part: str
    images: int
    opens_at: dt.datetime
    closes_at: dt.datetime
    is_open: bool
    max_per_day: int
    max_total: int
    results_published_at: dt.datetime | None
    quota: Quota | None  # the user's team's, if any


@dataclass(frozen=True)
class ChallengeOverview:
    """Everything a challenge page needs, without the dataset version (whose items hold every MOS)."""

    slug: str
    title: str
    rules: str
    terms: str
    score_text: str
    is_public: bool
    is_organiser: bool
    registered: bool
    team: str | None
    team_join_code: str | None
    team_members: list[str]
    part_counts: dict[str, int]
    phases: list[PhaseInfo]
    bundle_ready: bool
    bundle_sha256: str
    bundle_size_bytes: int | None


def challenge_overview(*, challenge: Challenge, user: AbstractBaseUser) -> ChallengeOverview:
    challenge = challenge_get_for_user(slug=challenge.slug, user=user)
    participant = participant_get(challenge=challenge, user=user)
    team = participant.team if participant else None
    parts = parts_of(challenge)
    now = timezone.now()
    phases = [
        PhaseInfo(
            id=phase.pk, kind=phase.kind, label=phase.get_kind_display(), part=phase.part,
            images=len(parts.get(phase.part, [])), opens_at=phase.opens_at, closes_at=phase.closes_at,
            is_open=phase_is_open(phase, now), max_per_day=phase.max_per_day, max_total=phase.max_total,
            results_published_at=phase.results_published_at,
            quota=submission_quota(phase=phase, team_id=team.pk, now=now) if team else None,
        )
        for phase in phases_of(challenge=challenge)
    ]
    bundle = challenge.bundles.filter(status=ParticipantBundle.Status.SUCCEEDED).order_by("-created_at", "-pk").first()
    return ChallengeOverview(
        slug=challenge.slug, title=challenge.title, rules=challenge.rules, terms=challenge.terms,
        score_text=ScoreSpec.from_dict(challenge.score_spec).text(), is_public=challenge.is_public,
        is_organiser=is_organiser(challenge=challenge, user=user), registered=participant is not None,
        team=team.name if team else None, team_join_code=team.join_code if team else None,
        team_members=team_members(team=team) if team else [],
        part_counts={part: len(names) for part, names in parts.items()}, phases=phases,
        bundle_ready=bundle is not None, bundle_sha256=bundle.sha256 if bundle else "",
        bundle_size_bytes=bundle.size_bytes if bundle else None,
    )
