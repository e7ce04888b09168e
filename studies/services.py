"""Writes: keyword-only, atomic, side effects after commit."""
import hashlib
import logging
import socket
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from common.errors import DomainError
from moslab_science import ingest
from studies import selectors, tasks
from studies.bulk_rows import rows_insert
from studies.models import (
    Membership,
    MosComputation,
    Rating,
    Stimulus,
    StimulusMos,
    Study,
    SubjectDecision,
    SubjectReport,
)
from studies.mos_adapter import RESULT_FIELDS, compute_study_mos

logger = logging.getLogger(__name__)


@transaction.atomic
def study_create(
    *, name: str, slug: str, created_by: AbstractBaseUser, description: str = "",
    scale_min: float = 1, scale_max: float = 5, raters_per_stimulus: int = 5,
) -> Study:
    if Study.objects.filter(slug=slug).exists():
        raise DomainError(f"A study with the slug {slug!r} exists already; choose another.")
    study = Study.objects.create(
        name=name, slug=slug, description=description, created_by=created_by,
        scale_min=scale_min, scale_max=scale_max, raters_per_stimulus=raters_per_stimulus,
    )
    Membership.objects.create(study=study, user=created_by, role=Membership.Role.COORDINATOR)
    return study


def membership_add(*, study: Study, user: AbstractBaseUser, role: str) -> Membership:
    membership, _ = Membership.objects.get_or_create(study=study, user=user, role=role)
    return membership


@dataclass(frozen=True)
class ImportReport:
    created: list[str]
    unchanged: list[str]


def stimuli_import(*, study: Study, source: Path, manifest: Path | None = None) -> ImportReport:
    """Import every image and video (.mp4, .webm) of a folder or zip, all or nothing; importing the same
    files again is a no-op. Videos are decoded to the end once and stored byte for byte."""
    try:
        files = ingest.read_source(Path(source), max_total_bytes=settings.MOSLAB_MAX_UPLOAD_BYTES)
        manifest_text = Path(manifest).read_text(encoding="utf-8-sig") if manifest else None
        existing = dict(Stimulus.objects.filter(study=study).values_list("name", "sha256"))
        plan = ingest.plan_import(
            files, manifest_text=manifest_text, existing=existing, max_pixels=settings.MOSLAB_MAX_IMAGE_PIXELS,
            max_seconds=settings.MOSLAB_MAX_VIDEO_SECONDS,
        )
    except ingest.ImportRejected as rejected:
        raise DomainError(str(rejected.args[0]), problems=rejected.problems) from None
    except (ingest.sources.SourceProblem, OSError, UnicodeDecodeError) as problem:
        raise DomainError(f"import refused, nothing was written: {problem}") from None
    stored: list[str] = []
    try:
        _write_stimuli(study=study, plan=plan, stored=stored)
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return ImportReport(created=[planned.name for planned in plan.new], unchanged=plan.unchanged)


@transaction.atomic
def _write_stimuli(*, study: Study, plan: ingest.ImportPlan, stored: list[str]) -> None:
    by_name: dict[str, Stimulus] = {}
    for planned in plan.new:
        data = planned.read_bytes()
        if hashlib.sha256(data).hexdigest() != planned.info.sha256:  # the checked bytes are the bytes stored
            raise DomainError(f"import refused, nothing was written: {planned.name} changed while importing")
        stimulus = Stimulus(
            study=study, name=planned.name, **planned.info.stimulus_fields(),
            source_content=planned.meta.source_content, groups=planned.meta.groups, prompt=planned.meta.prompt,
        )
        stimulus.file.save(planned.name, ContentFile(data), save=False)
        stored.append(stimulus.file.name)
        stimulus.save()
        by_name[planned.name] = stimulus
    references = {planned.name: planned.meta.reference for planned in plan.new if planned.meta.reference}
    if references:
        existing = {s.name: s for s in Stimulus.objects.filter(study=study, name__in=set(references.values()))}
        for name, reference in references.items():
            stimulus = by_name[name]
            stimulus.reference = existing[reference]
            stimulus.save(update_fields=["reference"])


def rating_record(
    *, study: Study, stimulus: Stimulus, rater: AbstractBaseUser, score: float,
    client_id, response_time_ms: int | None = None, details: dict | None = None,
    client_id_used: bool | None = None, dimension: str = "",
) -> tuple[Rating, bool]:
    """Store one vote; the same (rater, client_id, dimension) again returns the stored vote, never a second one.

    `details` fills the history fields of Rating (purpose, protocol, deductions, display, round, supersedes...).
    `dimension` names the rating dimension of a multi-score protocol ("" for a single score); one submission
    scoring several dimensions stores one vote per dimension under the same client id.
    `client_id_used=False` says the caller has just found, in this transaction, no vote of the rater with
    this client id, which saves looking again (the unique constraint still refuses a second one).
    """
    details = dict(details or {})
    if "dimension" in details:
        given = details.pop("dimension")
        if dimension and given != dimension:
            raise DomainError(f"Two dimensions given for one vote ({dimension!r} and {given!r}); give one.")
        dimension = given
    if stimulus.study_id != study.pk:
        raise DomainError("This stimulus is not part of this study.")
    if study.status != Study.Status.OPEN:
        raise DomainError(f"The study is {study.get_status_display().lower()}; ratings are not accepted.")
    if not study.scale_min <= score <= study.scale_max:
        raise DomainError(
            f"Score {score} is off the scale; give a score from {study.scale_min:g} to {study.scale_max:g}."
        )
    if len(dimension) > Rating._meta.get_field("dimension").max_length:
        raise DomainError(f"The dimension name {dimension[:50]!r} is too long; use at most 40 characters.")
    existing = None
    if client_id_used is not False:
        existing = Rating.objects.filter(rater=rater, client_id=client_id, dimension=dimension).first()
    if existing is not None:
        if existing.stimulus_id != stimulus.pk or existing.score != score:
            raise DomainError("This submission id was already used for another vote; reload the page.")
        return existing, False
    rating = Rating.objects.create(
        study=study, stimulus=stimulus, rater=rater, score=score, dimension=dimension,
        client_id=client_id, response_time_ms=response_time_ms, **details,
    )
    return rating, True


@transaction.atomic
def mos_computation_start(
    *, study: Study, by: AbstractBaseUser, method: str = MosComputation.Method.MEAN,
    mode: str = MosComputation.Mode.DEFAULT, parameters: dict | None = None, dimension: str = "",
) -> MosComputation:
    """Queue a MOS computation of one rating dimension ("" for a single-score study's votes)."""
    if method not in MosComputation.Method.values:
        raise DomainError(f"Unknown MOS method {method!r}; choose one of {', '.join(MosComputation.Method.values)}.")
    if mode not in MosComputation.Mode.values:
        raise DomainError(f"Unknown mode {mode!r}; choose one of {', '.join(MosComputation.Mode.values)}.")
    if dimension:
        names = [name for name, _ in selectors.study_dimensions(study=study)]
        if dimension not in names:
            known = f"this study's are {', '.join(names)}" if names else "this study rates a single score"
            raise DomainError(f"Unknown rating dimension {dimension!r}; {known}.")
    computation = MosComputation.objects.create(
        study=study, method=method, mode=mode, parameters=parameters or {}, requested_by=by, dimension=dimension,
    )
    transaction.on_commit(lambda: tasks.mos_computation_run_task.delay(computation_id=computation.pk))
    return computation


def mos_computation_run(*, computation_id: int) -> MosComputation:
    """Compute and store the results; a failure is recorded on the row, never lost in the queue."""
    with transaction.atomic():
        computation = MosComputation.objects.select_for_update().get(pk=computation_id)
        if computation.status != MosComputation.Status.QUEUED:
            logger.info("MOS computation %s is %s already; not running it again", computation.pk, computation.status)
            return computation
        computation.status = MosComputation.Status.RUNNING
        computation.started_at = timezone.now()
        computation.worker = socket.gethostname()
        computation.save(update_fields=["status", "started_at", "worker", "updated_at"])
    try:
        with transaction.atomic():
            outcome = compute_study_mos(computation)
            rows_insert(model=StimulusMos, fields=RESULT_FIELDS, rows=outcome.results)
            SubjectReport.objects.bulk_create(outcome.reports)
            computation.status = MosComputation.Status.SUCCEEDED
            computation.warnings = outcome.warnings
            computation.num_ratings = outcome.num_ratings
            computation.finished_at = timezone.now()
            computation.save()
    except Exception as error:
        logger.exception("MOS computation %s failed", computation.pk)
        computation.status = MosComputation.Status.FAILED
        computation.error = f"{type(error).__name__}: {error}"
        computation.finished_at = timezone.now()
        computation.save(update_fields=["status", "error", "finished_at", "updated_at"])
    return computation


def subject_decision_record(
    *, study: Study, rater: AbstractBaseUser, decision: str, reason: str, by: AbstractBaseUser
) -> SubjectDecision:
    """Override screening for one rater; earlier decisions stay on record, the newest counts."""
    if decision not in SubjectDecision.Decision.values:
        choices = ", ".join(SubjectDecision.Decision.values)
        raise DomainError(f"Unknown decision {decision!r}; choose one of {choices}.")
    if not reason.strip():
        raise DomainError("Give a reason for the override; it is kept with the decision.")
    if not Rating.objects.filter(study=study, rater=rater).exists():
        raise DomainError(f"{rater} has no votes in this study.")
    return SubjectDecision.objects.create(
        study=study, rater=rater, decision=decision, reason=reason.strip(), decided_by=by
    )
