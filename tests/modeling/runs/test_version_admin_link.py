"""Modeling adds its launch link to studies' dataset version admin through the hook; it replaces nothing."""
import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from studies.datasets.admin import DatasetVersionAdmin
from studies.models import DatasetVersion

pytestmark = pytest.mark.django_db


def test_the_version_admin_is_studies_own_and_shows_the_launch_link(dataset_version, make_user):
    assert type(admin.site._registry[DatasetVersion]) is DatasetVersionAdmin
    client = Client()
    client.force_login(make_user("boss", is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:studies_datasetversion_change", args=[dataset_version.pk]))
    launch = reverse("admin:modeling_benchmarkrun_add") + f"?version={dataset_version.pk}"
    assert page.status_code == 200
    assert f'<a href="{launch}">Launch a benchmark on this version</a>' in page.content.decode()
    assert client.get(launch).status_code == 200
    assert client.post(reverse("admin:studies_datasetversion_change", args=[dataset_version.pk]),
                       {"label": "edited"}).status_code == 403, "still read-only"
