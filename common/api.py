from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import DomainError, PermissionDeniedError


def exception_handler(exc, context):
    """DRF's handler, plus domain errors as 400 (403 for permissions) with the problems listed."""
    if isinstance(exc, DomainError):
        code = status.HTTP_403_FORBIDDEN if isinstance(exc, PermissionDeniedError) else status.HTTP_400_BAD_REQUEST
        message = exc.args[0] if exc.args else str(exc)
        return Response({"detail": message, "problems": exc.problems}, status=code)
    return drf_exception_handler(exc, context)
