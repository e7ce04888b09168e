"""Submissions: checked at once (invalid files are refused and count for nothing), scored by a Celery task.

The limits are counted and the row inserted while the team is locked, so concurrent submits cannot pass them.
"""
import hashlib

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from challenges import tasks
from challenges.data import hidden_mos, part_names
from challenges.models import Challenge, FactSheet, Phase, Submission, Team
from challenges.selectors import participant_get, phase_is_open, submission_get_for_user, submission_quota
from common import jobs
from common.errors import DomainError, PermissionDeniedError
from moslab_science.challenges.factsheets import clean_fact_sheet
from moslab_science.challenges.predictions import MAX_BYTES, read_predictions
from moslab_science.challenges.scoring import ScoreSpec, score_predictions


def submission_submit(
    *, phase: Phase, by: AbstractBaseUser, filename: str, content: bytes, max_bytes: int = MAX_BYTES,
) -> Submission:
    """Check the predictions, then store and queue them for scoring.

    Refused (DomainError, with every line-level problem) when the file is invalid; such a refusal counts
    against no limit. The same file sent again by the team in the same phase returns the first submission.
    """
    challenge = phase.challenge
    participant = participant_get(challenge=challenge, user=by)
    if participant is None or not by.is_active:
        raise PermissionDeniedError("Register for the challenge (accepting its terms) to submit.")
    if participant.team_id is None:
        raise DomainError("Create or join a team first; submissions are per team.")
    now = timezone.now()
    if not phase_is_open(phase, now):
        when = "opens" if now < phase.opens_at else "closed"
        moment = phase.opens_at if now < phase.opens_at else phase.closes_at
        raise DomainError(f"The {phase.get_kind_display().lower()} phase {when} at {moment:%Y-%m-%d %H:%M} UTC; "
                          "no submissions now.")
    predictions = read_predictions(content, filename=filename, expected=part_names(challenge, phase.part),
                                   part=phase.part, max_bytes=max_bytes)
    digest = hashlib.sha256(content).hexdigest()
    stored: list[str] = []
    try:
        with transaction.atomic():
            _lock_team(participant.team_id, now)
            existing = Submission.objects.filter(team=participant.team_id, phase=phase, sha256=digest).first()
            if existing is not None:
                return existing
            quota = submission_quota(phase=phase, team_id=participant.team_id, now=now)
            if quota.left_total == 0:
                raise DomainError(f"Your team has used all {phase.max_total} submissions of this phase.")
            if quota.left_today == 0:
                raise DomainError(f"Your team has used its {phase.max_per_day} submission(s) of today (UTC); "
                                  "submit again after midnight UTC.")
            submission = Submission(team_id=participant.team_id, phase=phase, submitted_by=by,
                                    original_name=filename[:255], sha256=digest, size_bytes=len(content),
                                    predictions=predictions)
            suffix = "zip" if content[:4] == b"PK\x03\x04" else "csv"
            submission.file.save(f"{digest}.{suffix}", ContentFile(content), save=False)
            stored.append(submission.file.name)
            submission.save()
            transaction.on_commit(lambda: tasks.submission_score_task.delay(submission_id=submission.pk, attempt=1))
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return submission


def _lock_team(team_id: int, now) -> None:
    """Serialise one team's submits: a row lock on PostgreSQL. SQLite has no row locks, but a write as the
    transaction's first statement takes its database write lock, which serialises the same way."""
    if connection.vendor == "sqlite":
        Team.objects.filter(pk=team_id).update(last_submit_at=now)
    else:
        Team.objects.select_for_update().get(pk=team_id)


def submission_score_run(*, submission_id: int, attempt: int = 1, worker: str = "") -> Submission:
    """Score a queued submission against the hidden MOS of its phase's part; the result goes on the row
    (common.jobs). The team sees a domain error's own words, else only that scoring failed."""
    return jobs.job_run(Submission, job_id=submission_id, attempt=attempt, worker=worker, work=_scores,
                        reason=_public_reason)


def submission_cancel(*, challenge: Challenge, submission_id, by: AbstractBaseUser) -> Submission:
    """Stop scoring a submission of the user's team (any team's, for organisers): at once while queued, before its
    scores are stored while running (common.jobs). A cancelled submission counts against no limit."""
    view = submission_get_for_user(challenge=challenge, submission_id=submission_id, user=by)
    return jobs.job_cancel(Submission.objects.get(pk=view.id), by=by)  # the selector scoped it


def _scores(submission: Submission) -> dict:
    phase = submission.phase
    truth = hidden_mos(phase.challenge, phase.part)
    jobs.job_progress(submission, 0.5)
    result = score_predictions(ScoreSpec.from_dict(phase.challenge.score_spec), submission.predictions, truth)
    return {"scores": result["figures"], "warnings": result["warnings"]}


def _public_reason(error: Exception) -> str:
    if isinstance(error, DomainError):
        return str(error)
    return f"Scoring failed ({type(error).__name__}); the organisers can see the server log."


@transaction.atomic
def submission_mark_final(*, submission: Submission, by: AbstractBaseUser, fact_sheet: dict) -> Submission:
    """Make a succeeded submission its team's final entry of the phase, with its fact sheet.

    Any earlier final entry of the team in the phase stops being final. Allowed until results are published.
    """
    fields = clean_fact_sheet(fact_sheet)
    _lock_team(submission.team_id, timezone.now())  # first (SQLite); two marks at once take turns
    submission = Submission.objects.select_for_update().select_related("phase", "team").get(pk=submission.pk)
    participant = participant_get(challenge=submission.phase.challenge, user=by)
    if participant is None or participant.team_id != submission.team_id:
        raise PermissionDeniedError("No such submission of your team.")
    if submission.phase.results_published_at is not None:
        raise DomainError("The results of this phase are published; final entries cannot change.")
    if submission.status != Submission.Status.SUCCEEDED:
        raise DomainError(f"Only a scored submission can be final; this one is {submission.status}.")
    Submission.objects.filter(team=submission.team_id, phase=submission.phase_id, is_final=True).exclude(
        pk=submission.pk).update(is_final=False)
    FactSheet.objects.update_or_create(submission=submission, defaults=fields)
    if not submission.is_final:
        submission.is_final = True
        submission.save(update_fields=["is_final", "updated_at"])
    return submission
