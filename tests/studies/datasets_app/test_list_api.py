"""The dataset versions and exports lists of the API page and filter as every list does (common.api: `count`,
`next`, `previous`, `results`; a bad filter is a 400 naming it)."""
import pytest

from studies.datasets import services as dataset_services
from tests.conftest import token_client

pytestmark = pytest.mark.django_db


def test_versions_and_exports_page_and_filter(rated_study, coordinator, make_user):
    first = dataset_services.dataset_version_create(study=rated_study, by=coordinator, label="first")
    second = dataset_services.dataset_version_create(study=rated_study, by=coordinator, label="second take")
    third = dataset_services.dataset_version_create(study=rated_study, by=coordinator, label="third")
    client = token_client(coordinator)
    base = f"/api/datasets/studies/{rated_study.pk}"

    page = client.get(f"{base}/versions/", {"page_size": 2}).json()
    assert page["count"] == 3 and page["previous"] is None and page["next"]
    assert [row["id"] for row in page["results"]] == [third.pk, second.pk]
    assert [row["id"] for row in client.get(page["next"]).json()["results"]] == [first.pk]
    assert [row["id"] for row in client.get(f"{base}/versions/", {"search": "TAKE"}).json()["results"]] == [second.pk]
    assert client.get(f"{base}/versions/", {"dimension": ""}).json()["count"] == 3
    assert client.get(f"{base}/versions/", {"dimension": "sharpness"}).json()["count"] == 0

    table = dataset_services.dataset_export_start(version=first, export_format="table_csv", by=coordinator,
                                                  enqueue=False)
    dataset_services.dataset_export_run(export_id=table.pk)
    queued = dataset_services.dataset_export_start(version=second, export_format="sujson", by=coordinator,
                                                   enqueue=False)
    exports = client.get(f"{base}/exports/").json()
    assert exports["count"] == 2 and [row["id"] for row in exports["results"]] == [queued.pk, table.pk]
    assert exports["results"][1]["attempt"] == 1 and "worker" in exports["results"][1]
    assert [row["id"] for row in client.get(f"{base}/exports/", {"status": "succeeded"}).json()["results"]] == \
        [table.pk]
    assert [row["id"] for row in client.get(f"{base}/exports/", {"export_format": "sujson"}).json()["results"]] == \
        [queued.pk]
    assert [row["id"] for row in client.get(f"{base}/exports/", {"version_id": first.pk}).json()["results"]] == \
        [table.pk]
    bad = client.get(f"{base}/exports/", {"status": "lost", "page_size": 1})
    assert bad.status_code == 400 and "status" in bad.json()
    assert client.get(f"{base}/exports/", {"page": 5}).status_code == 404

    stranger = token_client(make_user("stranger"))
    assert stranger.get(f"{base}/versions/").status_code == 403
    assert stranger.get(f"{base}/exports/").status_code == 403
