"""Small helpers shared by the HTML views."""
import functools

from django.http import Http404

from common.errors import PermissionDeniedError


def scoped(view):
    """Turn a scoping refusal into a 404, so that other studies' ids reveal nothing."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDeniedError as error:
            raise Http404(str(error)) from None

    return wrapper
