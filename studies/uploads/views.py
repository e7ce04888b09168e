"""The upload page and the JSON endpoints its script (static/js/upload.js) talks to, with the session's CSRF token."""
import functools
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from common.body_limits import body_limit
from common.errors import DomainError, PermissionDeniedError
from common.views import scoped
from studies import selectors
from studies.models import Membership
from studies.uploads import selectors as upload_selectors
from studies.uploads import services

COORDINATOR = [Membership.Role.COORDINATOR]


def json_errors(view):
    """Refusals as JSON the script shows: 404 for anything out of scope, 400 (409 for a wrong offset) with every
    problem listed otherwise."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDeniedError as error:
            return JsonResponse({"detail": str(error), "problems": []}, status=404)
        except DomainError as error:
            return JsonResponse({"detail": error.args[0], "problems": error.problems}, status=400)

    return wrapper


def _upload(request, study_id: int, upload_id):
    study = selectors.study_get_for_user(study_id=study_id, user=request.user, roles=COORDINATOR)
    return upload_selectors.upload_get(study=study, user=request.user, upload_id=upload_id)


@login_required
@require_GET
@scoped
def upload_page(request, study_id: int):
    study = selectors.study_get_for_user(study_id=study_id, user=request.user, roles=COORDINATOR)
    context = {"study": study, "max_bytes": settings.MOSLAB_MAX_UPLOAD_BYTES,
               "abandon_hours": settings.MOSLAB_UPLOAD_ABANDON_HOURS}
    return render(request, "studies/stimuli_upload.html", context)


@login_required
@require_POST
@json_errors
def upload_start(request, study_id: int):
    """Body: {"files": [{"name", "size"}]}; answers the upload's id, the chunk size and what arrived (nothing)."""
    study = selectors.study_get_for_user(study_id=study_id, user=request.user, roles=COORDINATOR)
    try:
        files = json.loads(request.body or b"{}").get("files")
    except (ValueError, AttributeError):
        raise DomainError("The body must be JSON: {\"files\": [{\"name\": ..., \"size\": ...}]}.") from None
    upload = services.upload_start(study=study, by=request.user, files=files)
    return JsonResponse(_state(upload), status=201)


def _state(upload) -> dict:
    return {"id": str(upload.pk), "chunk_bytes": settings.MOSLAB_UPLOAD_CHUNK_BYTES, "files": upload.files,
            "received": services.upload_received(upload)}


@login_required
@require_GET
@json_errors
def upload_state(request, study_id: int, upload_id):
    """How much of each file arrived: where the page resumes after a lost connection or a reload."""
    return JsonResponse(_state(_upload(request, study_id, upload_id)))


@login_required
@require_POST
@json_errors
@body_limit(2 * 1024 * 1024)
def upload_chunk(request, study_id: int, upload_id):
    """The raw bytes of one chunk, `?name=<file>&offset=<bytes already there>`; 409 with `received` otherwise."""
    upload = _upload(request, study_id, upload_id)
    offset = request.GET.get("offset", "")
    if not offset.isdigit():
        raise DomainError("Give the offset of the chunk: ?offset=<bytes already received>.")
    name = request.GET.get("name", "")
    try:
        received = services.upload_chunk_append(upload=upload, name=name, offset=int(offset), data=request.body)
    except services.OffsetMismatch as mismatch:
        return JsonResponse({"detail": str(mismatch), "received": mismatch.received}, status=409)
    return JsonResponse({"name": name, "received": received})


@login_required
@require_POST
@json_errors
def upload_import(request, study_id: int, upload_id):
    """Import the fully arrived files, all or nothing; 400 with every problem, 201 with the new names."""
    report = services.upload_import(upload=_upload(request, study_id, upload_id))
    return JsonResponse({"created": report.created, "unchanged": report.unchanged},
                        status=201 if report.created else 200)
