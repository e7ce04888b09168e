"""Reads of dataset versions, splits and exports, always scoped to a study the caller already holds."""
from django.db.models import QuerySet

from common.errors import PermissionDeniedError
from studies.models import DatasetExport, DatasetSplit, DatasetVersion, Study


def dataset_versions_for_study(*, study: Study) -> QuerySet[DatasetVersion]:
    return DatasetVersion.objects.filter(study=study).select_related("created_by").prefetch_related("splits")


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


def dataset_exports_for_study(*, study: Study) -> QuerySet[DatasetExport]:
    return DatasetExport.objects.filter(version__study=study).select_related("version", "split", "requested_by")


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
