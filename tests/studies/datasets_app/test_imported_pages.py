"""Pages of an imported study: stimuli without media answer 404 for their image, pages still render; admin guards."""
import pytest
from django.test import Client
from django.urls import reverse

from studies import services
from studies.datasets import services as dataset_services
from studies.datasets.imports import dataset_import
from studies.models import Study

pytestmark = pytest.mark.django_db


@pytest.fixture
def ratings_only(coordinator, small_long_ratings) -> Study:
    """The ISRGen-QA form without images: 10 stimuli without media, 40 votes, MOS computed (mean)."""
    study = dataset_import(name="ISR", slug="isr", by=coordinator, source_format="long_ratings",
                           source=small_long_ratings, scale=(1, 5),
                           options={"split_column": "split", "source_content": "hr_ref"}).study
    computation = services.mos_computation_start(study=study, by=coordinator, method="mean")
    assert services.mos_computation_run(computation_id=computation.pk).status == "succeeded"
    return study


@pytest.fixture
def client_of(coordinator):
    def login(user=coordinator) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login


def test_the_image_of_a_stimulus_without_media_is_404(ratings_only, client_of, coordinator, small_biq):
    stimulus = ratings_only.stimuli.order_by("name").first()
    assert not stimulus.file and stimulus.sha256 == ""
    response = client_of().get(reverse("studies:stimulus-image", args=[ratings_only.pk, stimulus.pk]))
    assert response.status_code == 404
    table, images = small_biq  # a stimulus with media, for contrast: its bytes as imported
    with_media = dataset_import(name="BIQ", slug="biq", by=coordinator, source_format="mos_table", source=table,
                                images=images, scale=(0, 1), options={"name": "image", "mos": "mos"}).study
    stimulus = with_media.stimuli.order_by("name").first()
    response = client_of().get(reverse("studies:stimulus-image", args=[with_media.pk, stimulus.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == \
        (images / stimulus.name).read_bytes()


def test_pages_of_a_ratings_only_study_render(ratings_only, client_of, coordinator):
    client = client_of()
    computation = ratings_only.mos_computations.get()
    mos_page = client.get(reverse("studies:mos-detail", args=[ratings_only.pk, computation.pk]))
    assert mos_page.status_code == 200
    text = mos_page.content.decode()
    assert all(name in text for name in ratings_only.stimuli.values_list("name", flat=True))
    assert "stimulus-image" not in text and "/image" not in text
    assert client.get(reverse("studies:mos-csv", args=[ratings_only.pk, computation.pk])).status_code == 200
    assert client.get(reverse("studies:detail", args=[ratings_only.pk])).status_code == 200
    version = dataset_services.dataset_version_create(study=ratings_only, by=coordinator)
    page = client.get(reverse("studies:dataset-version", args=[ratings_only.pk, version.pk]))
    assert page.status_code == 200 and version.content_hash in page.content.decode()
    assert all(item["file"] == "" and item["sha256"] == "" for item in version.items)


def test_the_admin_shows_origin_read_only_and_an_imported_study_cannot_be_opened(ratings_only, make_user, study):
    client = Client()
    client.force_login(make_user("boss", is_staff=True, is_superuser=True))
    url = reverse("admin:studies_study_change", args=[study.pk])
    page = client.get(url).content.decode()
    assert 'name="origin"' not in page and "Collected here" in page
    form = {"name": study.name, "slug": study.slug, "description": "", "status": "open", "scale_min": 1,
            "scale_max": 5, "raters_per_stimulus": 2, "origin": "imported",
            "created_by": study.created_by_id,
            "memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0}
    response = client.post(url, form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    study.refresh_from_db()
    assert study.origin == Study.Origin.COLLECTED and study.status == Study.Status.OPEN, "origin is not editable"

    url = reverse("admin:studies_study_change", args=[ratings_only.pk])
    page = client.get(url).content.decode()
    assert 'name="status"' not in page and "Imported dataset" in page
    form.update(name="ISR", slug="isr", status="open")
    assert client.post(url, form).status_code == 302
    ratings_only.refresh_from_db()
    assert ratings_only.status == Study.Status.CLOSED, "an imported study takes no ratings"
