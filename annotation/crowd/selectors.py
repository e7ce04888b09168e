"""Reads of the crowd wing, scoped to the study (and, for a participant, to their own row)."""
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Max

from annotation.crowd.models import CrowdLink, CrowdParticipant
from annotation.models import Enrolment
from annotation.selectors import annotator_quality
from common.errors import DomainError, PermissionDeniedError
from common.models import JobStatus
from moslab_science.rating.crowd import completion_url
from moslab_science.rating.indicators import AnnotatorIndicators
from studies.models import MosComputation, Stimulus, Study, SubjectReport
from studies.selectors import mos_computations_for_study, subject_reports_of


def crowd_link_for_study(*, study: Study) -> CrowdLink:
    """The study's public link, or an unsaved one (off, Prolific's parameters) when none was set yet."""
    return CrowdLink.objects.filter(study=study).first() or CrowdLink(study=study)


def crowd_participant_for_user(*, study: Study, user: AbstractBaseUser) -> CrowdParticipant | None:
    """The user's participant row in this study, if the public link enrolled them."""
    return CrowdParticipant.objects.filter(study=study, user_id=user.pk).first()


def crowd_check_passed_or_refuse(*, study_id: int, user_id: int) -> None:
    """Refuse a participant of the public link who has not passed the screen check; other annotators pass.

    Called when the participant leaves the instructions (where their enrolment starts): before that no
    training, qualification or study image is handed to them, and a vote needs a task of one's own, so
    neither claims nor votes need a query of their own.
    """
    if CrowdParticipant.objects.filter(study_id=study_id, user_id=user_id, environment_ok=False).exists():
        raise DomainError("Pass the screen check on the study's page first: it makes sure your screen shows the "
                          "images at their native size.")


def crowd_participant_get(*, study: Study, participant_pk: int) -> CrowdParticipant:
    participant = CrowdParticipant.objects.filter(study=study, pk=participant_pk).first()
    if participant is None:
        raise PermissionDeniedError("No such participant in this study.")
    return participant


def crowd_return_url(*, study: Study, enrolment: Enrolment | None) -> str:
    """Where the done page sends a finished participant: the link's completion address with their code, or ''."""
    if enrolment is None or not enrolment.completion_code:
        return ""
    link = CrowdLink.objects.filter(study=study, enabled=True).first()
    return completion_url(link.completion_url, code=enrolment.completion_code) if link else ""


def stimulus_size_needed(*, study: Study) -> tuple[int, int]:
    """The study's largest stimulus width and height in pixels: what a screen must hold at native size."""
    sizes = Stimulus.objects.filter(study=study).aggregate(width=Max("width"), height=Max("height"))
    return sizes["width"] or 0, sizes["height"] or 0


@dataclass(frozen=True)
class CodeRow:
    participant: CrowdParticipant
    enrolment: Enrolment | None
    indicators: AnnotatorIndicators | None
    rating_minutes: float
    screening: SubjectReport | None

    @property
    def other_ids(self) -> list[tuple[str, str]]:
        """The platform ids besides the participant id, by name (a JSON object keeps no order on PostgreSQL)."""
        ids = self.participant.platform_ids
        return sorted((name, value) for name, value in ids.items() if value != self.participant.participant_id)

    @property
    def elapsed_minutes(self) -> float | None:
        """From opening the link to the last vote (or the last change of phase)."""
        if self.enrolment is None or not self.indicators or not self.indicators.votes:
            return None
        return max((self.enrolment.updated_at - self.participant.created_at).total_seconds(), 0) / 60

    @property
    def status(self) -> str:
        if self.enrolment is None:
            return "not started"
        if self.enrolment.paused:
            return f"paused: {self.enrolment.pause_reason}"
        if not self.participant.environment_ok:
            return "environment refused" if self.participant.environment_checked_at else "environment not checked"
        return self.enrolment.get_phase_display()


def latest_mos_computation(*, study: Study) -> MosComputation | None:
    return mos_computations_for_study(study=study, status=JobStatus.SUCCEEDED).first()


def crowd_code_rows(*, study: Study, dimension: str = "", code: str = "") -> list[CodeRow]:
    """Every participant of the study's public link with their code and quality; optionally only whose `code` it is.

    Gold accuracy and repeat consistency come from the annotation overview's indicators, the screening from
    the study's latest finished MOS computation, when there is one.
    """
    participants = CrowdParticipant.objects.filter(study=study).select_related("user").order_by("created_at", "pk")
    if code:
        holders = Enrolment.objects.filter(study=study, completion_code__iexact=code.strip()).values("user_id")
        participants = participants.filter(user_id__in=holders)
    quality = {enrolment.user_id: (enrolment, indicators, minutes)
               for enrolment, indicators, minutes in annotator_quality(study=study, dimension=dimension)}
    computation = latest_mos_computation(study=study)
    reports = {report.rater_id: report for report in subject_reports_of(computation=computation)} if computation else {}
    rows = []
    for participant in participants:
        enrolment, indicators, minutes = quality.get(participant.user_id, (None, None, 0.0))
        rows.append(CodeRow(participant, enrolment, indicators, minutes, reports.get(participant.user_id)))
    return rows


CSV_HEADER = ["participant_id", "platform_ids", "username", "status", "completion_code", "started_at",
              "elapsed_minutes", "rating_minutes", "votes", "gold_checked", "gold_accuracy", "repeat_pairs",
              "repeat_mean_abs_diff", "qualification_score", "screening", "screening_reason", "environment_ok",
              "screen_device_px", "device_pixel_ratio", "user_agent", "decision"]


def _rounded(value: float | None, digits: int = 3):
    return "" if value is None else round(value, digits)


def _csv_record(row: CodeRow) -> dict:
    p, q, env, enrolment = row.participant, row.indicators, row.participant.environment, row.enrolment
    return {
        "participant_id": p.participant_id,
        "platform_ids": " ".join(f"{name}={value}" for name, value in sorted(p.platform_ids.items())),
        "username": p.user.username, "status": row.status,
        "completion_code": enrolment.completion_code if enrolment else "", "started_at": p.created_at.isoformat(),
        "elapsed_minutes": _rounded(row.elapsed_minutes, 2), "rating_minutes": _rounded(row.rating_minutes, 2),
        "votes": q.votes if q else 0, "gold_checked": q.gold_checked if q else 0,
        "gold_accuracy": _rounded(q.gold_accuracy if q else None), "repeat_pairs": q.repeat_pairs if q else 0,
        "repeat_mean_abs_diff": _rounded(q.repeat_mean_abs_diff if q else None),
        "qualification_score": _rounded(enrolment.qualification_score if enrolment else None),
        "screening": "" if row.screening is None else ("rejected" if row.screening.rejected else "kept"),
        "screening_reason": row.screening.reason if row.screening else "", "environment_ok": p.environment_ok,
        "screen_device_px": "x".join(str(v) for v in env.get("screen_device_px", [])),
        "device_pixel_ratio": env.get("device_pixel_ratio", ""), "user_agent": env.get("user_agent", ""),
        "decision": p.decision,
    }


def crowd_code_csv_rows(rows: list[CodeRow]) -> list[list]:
    """The code list as CSV rows, header first (cells still to be made safe by the writer)."""
    return [CSV_HEADER] + [[record[name] for name in CSV_HEADER] for record in map(_csv_record, rows)]
