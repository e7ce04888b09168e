"""Writes: keyword-only, atomic, side effects after commit."""
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import default_storage, storages
from django.db import transaction
from django.utils import timezone

from common import jobs
from common.errors import DomainError
from common.new_files import NewFiles
from moslab_science import ingest
from moslab_science.rating.protocol import off_scale_problem
from moslab_science.rating.protocol_limits import whole_problem
from studies import selectors, tasks
from studies.bulk_rows import columns_insert
from studies.models import (
    Membership,
    MosComputation,
    Rating,
    Stimulus,
    StimulusMos,
    Study,
    SubjectDecision,
    SubjectReport,
    stimulus_file_name,
)
from studies.mos_adapter import compute_study_mos
from studies.stimulus_rows import references_link, stimuli_insert, stimulus_row

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


def study_check_open(*, study: Study) -> None:
    """Refuse a vote unless the study is open for rating (the one place that says so)."""
    if study.status != Study.Status.OPEN:
        raise DomainError(f"The study is {study.get_status_display().lower()}; ratings are not accepted.")


@transaction.atomic
def study_rating_settings_update(
    *, study: Study, scale_min: float, scale_max: float, raters_per_stimulus: int,
) -> Study:
    """Change the study's scale and raters per stimulus: the study owns both (its protocol holds no copy).

    The scale cannot change once the study has votes: votes on two scales would mix in one MOS.
    """
    if not scale_min < scale_max:
        raise DomainError(f"The scale needs a top above its bottom ({scale_min:g} to {scale_max:g} given).")
    problem = whole_problem("raters_per_stimulus", raters_per_stimulus)
    if problem:
        raise DomainError(f"The study's {problem}.")
    locked = Study.objects.select_for_update(no_key=True).get(pk=study.pk)
    if (locked.scale_min, locked.scale_max) != (scale_min, scale_max) and Rating.objects.filter(study=study).exists():
        raise DomainError(
            f"The scale cannot change once the study has votes ({locked.scale_min:g} to {locked.scale_max:g}): "
            "votes on two scales would mix. Keep it, or run the new scale as a new study."
        )
    Study.objects.filter(pk=study.pk).update(scale_min=scale_min, scale_max=scale_max,
                                             raters_per_stimulus=raters_per_stimulus)
    study.refresh_from_db()
    return study


def membership_add(*, study: Study, user: AbstractBaseUser, role: str) -> Membership:
    membership, _ = Membership.objects.get_or_create(study=study, user=user, role=role)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """Take one role from a member; votes stay. The study keeps at least one coordinator."""
    Study.objects.select_for_update(no_key=True).filter(pk=membership.study_id).first()
    coordinators = Membership.objects.filter(study=membership.study_id, role=Membership.Role.COORDINATOR)
    if membership.role == Membership.Role.COORDINATOR and coordinators.count() == 1:
        raise DomainError("This is the study's only coordinator; add another coordinator first.")
    membership.delete()


def study_status_set(*, study: Study, status: str) -> Study:
    """Open a study for rating, close it, archive it, or take it back to draft; an imported study stays closed
    (or archived). Only an open study takes votes (`study_check_open`)."""
    if status not in Study.Status.values:
        raise DomainError(f"Unknown status {status[:40]!r}; choose one of {', '.join(Study.Status.values)}.")
    if study.origin == Study.Origin.IMPORTED and status not in (Study.Status.CLOSED, Study.Status.ARCHIVED):
        raise DomainError("An imported study holds a public dataset and takes no ratings; it stays closed "
                          "(or archived).")
    Study.objects.filter(pk=study.pk).update(status=status, updated_at=timezone.now())
    study.refresh_from_db()
    return study


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
    """The new stimuli's files and rows, written in bulk (`rows_insert`, without a model instance per row)."""
    new_files, rows = NewFiles(storages["default"]), []  # the storage itself: default_storage is a slow proxy
    for planned in plan.new:
        data = planned.read_bytes()
        if hashlib.sha256(data).hexdigest() != planned.info.sha256:  # the checked bytes are the bytes stored
            raise DomainError(f"import refused, nothing was written: {planned.name} changed while importing")
        stored.append(new_files.save(stimulus_file_name(study_id=study.pk, sha256=planned.info.sha256,
                                                        filename=planned.name), data))
        meta = planned.meta
        rows.append(stimulus_row(study_id=study.pk, name=planned.name, source_content=meta.source_content,
                                 groups=meta.groups, prompt=meta.prompt, info=planned.info, stored=stored[-1]))
    stimuli_insert(rows)
    references = {planned.name: planned.meta.reference for planned in plan.new if planned.meta.reference}
    if references:
        references_link(study_id=study.pk, references=references)


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
    study_check_open(study=study)
    problem = off_scale_problem(score, scale_min=study.scale_min, scale_max=study.scale_max)
    if problem:
        raise DomainError(problem)
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
    transaction.on_commit(lambda: tasks.mos_computation_run_task.delay(computation_id=computation.pk, attempt=1))
    return computation


def mos_computation_run(*, computation_id: int, attempt: int = 1, worker: str = "") -> MosComputation:
    """Compute (reading the votes, no lock held), then store the results and the outcome in one transaction;
    a failure is recorded on the row, never lost in the queue (common.jobs)."""
    return jobs.job_run(MosComputation, job_id=computation_id, attempt=attempt, worker=worker,
                        work=lambda computation: compute_study_mos(
                            computation, progress=lambda fraction: jobs.job_progress(computation, fraction)),
                        store=_mos_store)


def mos_computation_cancel(*, computation: MosComputation, by: AbstractBaseUser) -> MosComputation:
    """A queued computation is cancelled at once; a running one stops at its next step (common.jobs)."""
    return jobs.job_cancel(computation, by=by)


def _mos_store(computation: MosComputation, outcome) -> dict:
    columns_insert(model=StimulusMos, columns=outcome.results)
    SubjectReport.objects.bulk_create(outcome.reports)
    return {"warnings": outcome.warnings, "num_ratings": outcome.num_ratings}


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
