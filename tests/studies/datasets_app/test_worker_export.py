"""A bundle export run by a real Celery worker process, reporting through its row."""
import zipfile

import pytest
from django.db import transaction

from studies.datasets import services as dataset_services
from studies.models import DatasetExport
from tests.worker import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_fills_in_the_export(celery_worker_process, rated_study, coordinator):
    version = dataset_services.dataset_version_create(study=rated_study, by=coordinator)
    with transaction.atomic():
        export = dataset_services.dataset_export_start(version=version, export_format="bundle", by=coordinator)
    wait_for(lambda: DatasetExport.objects.get(pk=export.pk).status in ("succeeded", "failed"),
             what="the worker to run the export")
    export.refresh_from_db()
    assert export.status == DatasetExport.Status.SUCCEEDED, export.error
    assert export.progress == 1.0 and export.started_at and export.finished_at
    with export.file.open("rb") as handle:
        assert len(zipfile.ZipFile(handle).namelist()) == 10 + 6
