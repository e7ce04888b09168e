"""HTML pages of a study: the home list, the coordinator's study page, MOS results and stimulus media."""
import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from common import jobs
from common.errors import DomainError
from common.views import scoped
from moslab_science.csv_safe import safe_cell
from moslab_science.mos.rater_flags import LOW_CORRELATION, correlation_concern
from studies import selectors, services
from studies.media_response import content_type_of, media_response
from studies.models import Membership, MosComputation, SubjectDecision

Role = Membership.Role
STAFF_ROLES = (Role.COORDINATOR, Role.RESEARCHER)


@login_required
@require_GET
def home(request):
    return render(request, "studies/home.html", {"studies": selectors.studies_for_user(user=request.user),
                                                 "may_create": selectors.may_create_studies(request.user)})


@login_required
@require_GET
@scoped
def study_detail(request, study_id: int):
    study = selectors.study_get_for_user(study_id=study_id, user=request.user, roles=STAFF_ROLES)
    context = {
        "study": study,
        "progress": selectors.study_progress(study=study),
        "computations": selectors.mos_computations_for_study(study=study)[:20],
        "methods": MosComputation.Method.choices,
        "modes": MosComputation.Mode.choices,
        "dimensions": selectors.study_dimensions(study=study),
        "is_coordinator": Role.COORDINATOR in selectors.study_roles(study=study, user=request.user),
    }
    return render(request, "studies/study_detail.html", context)


@login_required
@require_POST
@scoped
def mos_computation_create(request, study_id: int):
    study = selectors.study_get_for_user(study_id=study_id, user=request.user, roles=[Role.COORDINATOR])
    try:
        computation = services.mos_computation_start(
            study=study, by=request.user, method=request.POST.get("method", MosComputation.Method.MEAN),
            mode=request.POST.get("mode", MosComputation.Mode.DEFAULT), dimension=request.POST.get("dimension", ""),
        )
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("studies:detail", study_id=study.pk)
    messages.info(request, "MOS computation queued; this page shows its status.")
    return redirect("studies:mos-detail", study_id=study.pk, computation_id=computation.pk)


@login_required
@require_GET
@scoped
def mos_computation_detail(request, study_id: int, computation_id: int):
    study = selectors.study_get_for_user(study_id=study_id, user=request.user, roles=STAFF_ROLES)
    computation = selectors.mos_computation_get(study=study, computation_id=computation_id)
    page, results = selectors.mos_results_page(computation=computation, page=request.GET.get("page"))
    context = {
        "study": study,
        "computation": computation,
        "page": page,
        "results": results,
        "reports": [(report, correlation_concern(report.pearson)) for report in
                    computation.subject_reports.select_related("rater").order_by("rater__username")],
        "low_correlation": LOW_CORRELATION,
        "decisions": selectors.subject_decisions_for_study(study=study),
        "decision_choices": SubjectDecision.Decision.choices,
        "is_coordinator": Role.COORDINATOR in selectors.study_roles(study=study, user=request.user),
        "active_statuses": jobs.ACTIVE,
    }
    return render(request, "studies/mos_detail.html", context)


@login_required
@require_POST
@scoped
def mos_computation_cancel(request, study_id: int, computation_id: int):
    study = selectors.study_get_for_user(study_id=study_id, user=request.user, roles=[Role.COORDINATOR])
    computation = selectors.mos_computation_get(study=study, computation_id=computation_id)
    try:
        services.mos_computation_cancel(computation=computation, by=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.info(request, f"MOS #{computation.pk} cancelled; a running computation stops at its next step.")
    return redirect("studies:mos-detail", study_id=study.pk, computation_id=computation.pk)


@login_required
@require_POST
@scoped
def subject_decision_create(request, study_id: int, computation_id: int):
    study = selectors.study_get_for_user(study_id=study_id, user=request.user, roles=[Role.COORDINATOR])
    computation = selectors.mos_computation_get(study=study, computation_id=computation_id)
    report = selectors.subject_report_get(computation=computation, rater_id=request.POST.get("rater"))
    try:
        services.subject_decision_record(
            study=study, rater=report.rater, decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""), by=request.user,
        )
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.info(request, f"Decision on {report.rater} recorded; compute MOS again to apply it.")
    return redirect("studies:mos-detail", study_id=study.pk, computation_id=computation.pk)


@login_required
@require_GET
@scoped
def subject_reports_csv(request, study_id: int, computation_id: int):
    study = selectors.study_get_for_user(study_id=study_id, user=request.user, roles=STAFF_ROLES)
    computation = selectors.mos_computation_get(study=study, computation_id=computation_id)
    response = _csv_response(f"{study.slug}-subjects-{computation.pk}{_dimension_tag(computation)}.csv")
    writer = csv.writer(response)
    writer.writerow(["rater", "votes", "rejected", "automatic_rejected", "P", "Q", "pearson", "spearman",
                     "bias", "inconsistency", "reason"])
    for report in computation.subject_reports.select_related("rater").order_by("rater__username"):
        row = [report.rater.username, report.num_votes, report.rejected, _optional(report.automatic_rejected),
               _optional(report.p_count), _optional(report.q_count), _number(report.pearson),
               _number(report.spearman), _number(report.bias), _number(report.inconsistency), report.reason]
        writer.writerow([safe_cell(cell) for cell in row])
    return response


def _dimension_tag(computation: MosComputation) -> str:
    return f"-{slugify(computation.dimension)}" if computation.dimension else ""


def _csv_response(filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _optional(value) -> str:
    return "" if value is None else str(value)


@login_required
@require_GET
@scoped
def mos_computation_csv(request, study_id: int, computation_id: int):
    study = selectors.study_get_for_user(study_id=study_id, user=request.user, roles=STAFF_ROLES)
    computation = selectors.mos_computation_get(study=study, computation_id=computation_id)
    results = list(computation.results.select_related("stimulus").order_by("stimulus__name"))
    group_names = sorted({name for result in results for name in result.stimulus.groups})
    response = _csv_response(f"{study.slug}-mos-{computation.pk}{_dimension_tag(computation)}.csv")
    writer = csv.writer(response)
    writer.writerow(["stimulus", "sha256", "source_content", *group_names, "mos", "std", "ci95", "n"])
    for result in results:
        stimulus = result.stimulus
        row = [stimulus.name, stimulus.sha256, stimulus.source_content]
        row += [stimulus.groups.get(name, "") for name in group_names]
        row += [_number(result.mos), _number(result.std), _number(result.ci95), result.count]
        writer.writerow([safe_cell(cell) for cell in row])
    return response


def _number(value: float | None) -> str:
    return "" if value is None else repr(value)


@login_required
@require_GET
@scoped
def stimulus_media(request, study_id: int, stimulus_id: int):
    """The stored bytes exactly as imported, to members of the study only; 404 for a stimulus without media.

    Images and videos alike; a `Range: bytes=a-b` request gets that part (206), as video players ask.
    """
    stimulus = selectors.stimulus_media_get_for_member(study_id=study_id, stimulus_id=stimulus_id, user=request.user)
    if not stimulus.file:
        raise Http404("This stimulus has no media file: it comes from a ratings-only dataset.")
    etag = f'"{stimulus.sha256}"' if stimulus.sha256 else None  # the stored bytes never change
    if etag and (etag in request.headers.get("If-None-Match", "") or request.headers.get("If-None-Match") == "*"):
        response = HttpResponseNotModified()  # seen before: nothing opened, nothing sent
    else:
        response = media_response(stimulus.file, content_type=content_type_of(stimulus.image_format),
                                  range_header=request.headers.get("Range"))
    if etag:
        response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response



@login_required
@require_POST
@scoped
def study_status(request, study_id: int):
    """Open the study for rating, close it, or take it back to draft (the rules of `study_status_set`)."""
    study = selectors.study_get_for_user(study_id=study_id, user=request.user, roles=[Role.COORDINATOR])
    try:
        study = services.study_status_set(study=study, status=request.POST.get("status", ""))
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.info(request, f"The study is now {study.get_status_display().lower()}.")
    return redirect("studies:detail", study_id=study.pk)
