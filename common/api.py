from pathlib import Path

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
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


class ListPagination(PageNumberPagination):
    """Every list of the API: `?page=` (from 1) and `?page_size=` (at most 500); the answer has `count`, `next`,
    `previous` and `results`."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


_PAGE_SERIALIZERS: dict[type, type] = {}


def page_of(item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The schema of one page of `item` rows (one named component per row serializer)."""
    if item not in _PAGE_SERIALIZERS:
        name = "Paginated" + item.__name__.removesuffix("Output") + "List"
        _PAGE_SERIALIZERS[item] = type(name, (serializers.Serializer,), {
            "count": serializers.IntegerField(help_text="How many rows match, on every page."),
            "next": serializers.URLField(allow_null=True, help_text="The next page, or null on the last."),
            "previous": serializers.URLField(allow_null=True, help_text="The previous page, or null on the first."),
            "results": item(many=True),
        })
    return _PAGE_SERIALIZERS[item]


def page_response(request, rows, item: type[serializers.Serializer], *, expand=None) -> Response:
    """One page of `rows` (a queryset or a list), serialised with `item`; `expand` turns the page's rows into
    what `item` reads, when that costs queries worth making for one page only."""
    paginator = ListPagination()
    page = paginator.paginate_queryset(rows, request)
    return paginator.get_paginated_response(item(expand(page) if expand else page, many=True).data)


def query_filters(request, filters: type[serializers.Serializer]) -> dict:
    """The list filters of the query string, validated (a bad value is a 400 naming it, never a 500)."""
    data = filters(data=request.query_params)
    data.is_valid(raise_exception=True)
    return data.validated_data


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file sent as multipart form data (the schema says binary, not the URI of a stored file)."""


def upload_saved(upload, destination: Path) -> Path:
    """Write an uploaded file to `destination` chunk by chunk (the upload endpoints read files from disk)."""
    with destination.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return destination


class ApiSchema(AutoSchema):
    """drf-spectacular's schema, naming a GET that answers one page of a list `<path>_list`, as it names a plain
    list, so that generated clients call it so."""

    def get_operation_id(self) -> str:
        operation_id = super().get_operation_id()
        answer = self.get_response_serializers()
        if self.method == "GET" and answer in _PAGE_SERIALIZERS.values():
            return operation_id.removesuffix("_retrieve") + "_list"
        return operation_id
