"""Text with a NUL character is refused at the door: PostgreSQL cannot store or even compare it, so a NUL in a
query parameter or a form field would end as a 500 deep in a view (SQLite takes it, so only one back-end failed)."""
from django.http import HttpResponseBadRequest, JsonResponse

MESSAGE = "Text may not contain NUL characters (\\x00); remove them and send the request again."
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class NulCharacterMiddleware:
    """Placed after the body limit (which refuses oversized bodies unread) and before the views."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        fields = list(request.GET.lists())
        if request.method == "POST" and request.content_type in FORM_TYPES:
            fields += list(request.POST.lists())
        if any("\x00" in text for key, values in fields for text in (key, *values)):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": MESSAGE, "problems": []}, status=400)
            return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
