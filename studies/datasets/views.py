"""HTML pages and actions for dataset versions, splits and exports; exports download as a stream."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from common import jobs
from common.errors import DomainError
from common.views import scoped
from studies import selectors
from studies.datasets import selectors as dataset_selectors
from studies.datasets import services as dataset_services
from studies.datasets.exports import VIDEO_ONLY, dover_dimension_columns, export_filename
from studies.datasets.inputs import split_spec_from_options
from studies.models import DatasetExport, Membership

Role = Membership.Role
STAFF_ROLES = (Role.COORDINATOR, Role.RESEARCHER)
DOVER_PLACEHOLDER = ("DOVER labels.txt (MOS only: aesthetic and technical are written 0, 0, DOVER's placeholder, "
                     "as no versions of those dimensions cover these items)")
SPLIT_FIELDS = ("ratios", "repeats", "folds", "group_by", "stratify_by", "mos_quantiles", "cross_column",
                "train_groups", "test_groups")


def _coordinated(request, study_id: int):
    return selectors.study_get_for_user(study_id=study_id, user=request.user, roles=[Role.COORDINATOR])


@login_required
@require_POST
@scoped
def dataset_version_create(request, study_id: int):
    study = _coordinated(request, study_id)
    try:
        version = dataset_services.dataset_version_create(study=study, by=request.user,
                                                          label=request.POST.get("label", ""),
                                                          dimension=request.POST.get("dimension", ""))
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("studies:detail", study_id=study.pk)
    messages.info(request, f"Dataset version {version.number} taken.")
    return redirect("studies:dataset-version", study_id=study.pk, version_id=version.pk)


@login_required
@require_GET
@scoped
def dataset_version_detail(request, study_id: int, version_id: int):
    study = selectors.study_get_for_user(study_id=study_id, user=request.user, roles=STAFF_ROLES)
    version = dataset_selectors.dataset_version_get(study=study, version_id=version_id)
    previous = (dataset_selectors.dataset_versions_for_study(study=study)
                .filter(number__lt=version.number, dimension=version.dimension).first())
    context = {
        "study": study, "version": version, "splits": version.splits.all(),
        "exports": dataset_selectors.dataset_exports_for_study(study=study).filter(version=version),
        "active_statuses": jobs.ACTIVE,
        "formats": _export_formats(study, version),
        "comparison": dataset_services.dataset_version_compare(old=previous, new=version) if previous else None,
        "items": version.items[:100],
        "is_coordinator": Role.COORDINATOR in selectors.study_roles(study=study, user=request.user),
    }
    return render(request, "studies/dataset_version.html", context)


def _export_formats(study, version) -> list[tuple[str, str]]:
    """The formats this version can be exported in: video models' labels for video studies only; DOVER's label
    says when its aesthetic and technical fields are DOVER's 0, 0 placeholder rather than scores."""
    if not selectors.study_has_video(study=study):
        return [(value, label) for value, label in DatasetExport.Format.choices if value not in VIDEO_ONLY]
    return [(value, DOVER_PLACEHOLDER if value == DatasetExport.Format.DOVER and not dover_dimension_columns(version)
             else label) for value, label in DatasetExport.Format.choices]


@login_required
@require_POST
@scoped
def dataset_split_create(request, study_id: int, version_id: int):
    study = _coordinated(request, study_id)
    version = dataset_selectors.dataset_version_get(study=study, version_id=version_id)
    options = {key: request.POST[key] for key in SPLIT_FIELDS if request.POST.get(key, "").strip()}
    try:
        spec = split_spec_from_options(kind=request.POST.get("kind", ""), seed=request.POST.get("seed") or 0,
                                       **options)
        derived = dataset_services.dataset_split_create(version=version, spec=spec, by=request.user)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("studies:dataset-version", study_id=study.pk, version_id=version.pk)
    messages.info(request, f"Split added: version {derived.number} holds version {version.number}'s items and it.")
    return redirect("studies:dataset-version", study_id=study.pk, version_id=derived.pk)


@login_required
@require_POST
@scoped
def dataset_export_create(request, study_id: int, version_id: int):
    study = _coordinated(request, study_id)
    version = dataset_selectors.dataset_version_get(study=study, version_id=version_id)
    split_id = request.POST.get("split")
    split = dataset_selectors.dataset_split_get(version=version, split_id=split_id) if split_id else None
    try:
        dataset_services.dataset_export_start(version=version, export_format=request.POST.get("format", ""),
                                              split=split, by=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.info(request, "Export queued; this page shows its progress.")
    return redirect("studies:dataset-version", study_id=study.pk, version_id=version.pk)


@login_required
@require_POST
@scoped
def dataset_export_cancel(request, study_id: int, export_id: int):
    study = _coordinated(request, study_id)
    export = dataset_selectors.dataset_export_get(study=study, export_id=export_id)
    try:
        dataset_services.dataset_export_cancel(export=export, by=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.info(request, f"Export #{export.pk} cancelled; a running export stops at its next step.")
    return redirect("studies:dataset-version", study_id=study.pk, version_id=export.version_id)


@login_required
@require_GET
@scoped
def dataset_export_download(request, study_id: int, export_id: int):
    """The export's file, streamed from storage in chunks."""
    study = selectors.study_get_for_user(study_id=study_id, user=request.user, roles=STAFF_ROLES)
    export = dataset_selectors.dataset_export_get(study=study, export_id=export_id)
    if export.status != DatasetExport.Status.SUCCEEDED:
        raise Http404("This export has no file yet.")
    response = FileResponse(export.file.open("rb"), as_attachment=True, filename=export_filename(export))
    response["X-Content-SHA256"] = export.sha256
    return response
