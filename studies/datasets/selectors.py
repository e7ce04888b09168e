"""Reads of dataset versions, splits and exports, always scoped to a study the caller already holds."""
from django.db.models import QuerySet

from common.errors import PermissionDeniedError
from studies.models import DatasetExport, DatasetSplit, DatasetVersion, Study


def dataset_versions_for_study(*, study: Study, dimension: str | None = None,
                               search: str = "") -> QuerySet[DatasetVersion]:
    """The study's versions, newest first; optionally one rating dimension ("" the single score), labels
    containing `search`."""
    versions = DatasetVersion.objects.filter(study=study).select_related("created_by").prefetch_related("splits")
    if dimension is not None:
        versions = versions.filter(dimension=dimension)
    if search:
        versions = versions.filter(label__icontains=search)
    return versions.order_by("-number")


def dataset_version_get(*, study: Study, version_id) -> DatasetVersion:
    version = DatasetVersion.objects.filter(study=study, pk=_id(version_id)).first()
    if version is None:
        raise PermissionDeniedError("No such dataset version in this study.")
    return version


def dataset_split_get(*, version: DatasetVersion, split_id) -> DatasetSplit:
    split = DatasetSplit.objects.filter(version=version, pk=_id(split_id)).first()
    if split is None:
        raise PermissionDeniedError("No such split in this dataset version.")
    return split


def dataset_exports_for_study(*, study: Study, status: str = "", export_format: str = "",
                              version_id: int | None = None) -> QuerySet[DatasetExport]:
    """The study's exports, newest first; optionally one status, one format, one version's."""
    exports = DatasetExport.objects.filter(version__study=study).select_related("version", "split", "requested_by")
    if status:
        exports = exports.filter(status=status)
    if export_format:
        exports = exports.filter(format=export_format)
    if version_id is not None:
        exports = exports.filter(version=version_id)
    return exports.order_by("-created_at", "-pk")


def dataset_export_get(*, study: Study, export_id) -> DatasetExport:
    export = dataset_exports_for_study(study=study).filter(pk=_id(export_id)).first()
    if export is None:
        raise PermissionDeniedError("No such dataset export in this study.")
    return export


def _id(value) -> int:
    text = str(value)
    if not text.isdigit():
        raise PermissionDeniedError("Ids are whole numbers.")
    return int(text)
