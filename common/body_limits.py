"""Request bodies capped before any of them is read: by the endpoint's own limit, or DATA_UPLOAD_MAX_MEMORY_SIZE.

A view that takes a file declares its limit with ``@body_limit(bytes)`` (a DRF view: ``max_body_bytes``).
The middleware compares the declared Content-Length with that limit and answers 413 with what to do,
so a 200 MB upload to a 20 MB form is refused before its first byte is received. A body with no
Content-Length is read as empty by Django, so it cannot slip past.
"""
from collections.abc import Callable

from django.conf import settings
from django.http import HttpResponse, JsonResponse

FORM_ALLOWANCE = 256 * 1024  # the other fields and part headers of a multipart form around its file(s)


def body_limit(max_file_bytes: int) -> Callable:
    """Let a view take an upload of up to `max_file_bytes` (plus the rest of its form)."""

    def declare(view):
        view.max_body_bytes = max_file_bytes + FORM_ALLOWANCE
        return view

    return declare


def endpoint_limit(view_func) -> int:
    owner = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
    declared = getattr(view_func, "max_body_bytes", None) or getattr(owner, "max_body_bytes", None)
    return declared or settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def megabytes(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MB"


class RequestBodyLimitMiddleware:
    """Placed before any middleware that reads the body (CSRF reads POST data)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = endpoint_limit(view_func)
        if length <= limit:
            return None
        message = (f"The request is {megabytes(length)}; this address takes at most {megabytes(limit)}. "
                   "Nothing was stored: send a smaller file (split a large dataset, or compress its images).")
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=413)
        return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
