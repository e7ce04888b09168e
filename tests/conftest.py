import os
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
REQUIRE_SERVICES = os.environ.get("MOSLAB_REQUIRE_SERVICES") == "1"


def pytest_sessionstart(session):
    """In CI the suite must run on PostgreSQL and Redis, never fall back silently."""
    if REQUIRE_SERVICES:
        engine = settings.DATABASES["default"]["ENGINE"]
        assert engine == "django.db.backends.postgresql", f"CI must use PostgreSQL, not {engine}"
        assert settings.CELERY_BROKER_URL.startswith("redis://"), "CI must use the Redis broker"
        assert settings.CACHE_URL.startswith("redis://"), "CI must use the Redis cache (sessions are read from it)"
        from django.core.cache import cache

        cache.clear()  # sessions of an earlier run must not be found


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MOSLAB_RUN_WORK_DIR = tmp_path / "run-work"  # what tests.worker.start_worker gives a worker
    settings.MOSLAB_UPLOAD_DIR = tmp_path / "uploads"
    return settings.MEDIA_ROOT


def write_image(path: Path, *, size=(32, 24), seed=0, image_format="PNG") -> Path:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, format=image_format)
    return path


@pytest.fixture
def image_folder(tmp_path) -> Path:
    folder = tmp_path / "images"
    for index in range(4):
        write_image(folder / f"img{index}.png", seed=index)
    return folder


@pytest.fixture
def make_user(django_user_model):
    def make(username: str, **extra):
        return django_user_model.objects.create_user(username=username, password=f"{username}-pw", **extra)

    return make


@pytest.fixture
def coordinator(make_user):
    return make_user("coord")


@pytest.fixture
def study(coordinator):
    from studies import services

    return services.study_create(name="Test study", slug="test-study", created_by=coordinator, raters_per_stimulus=2)


@pytest.fixture
def open_study(study, image_folder):
    from studies import services
    from studies.models import Study

    services.stimuli_import(study=study, source=image_folder)
    study.status = Study.Status.OPEN
    study.save()
    return study


@pytest.fixture
def annotators(open_study, make_user):
    from studies import services
    from studies.models import Membership

    users = [make_user(f"ann{index}") for index in range(3)]
    for user in users:
        services.membership_add(study=open_study, user=user, role=Membership.Role.ANNOTATOR)
    return users


@pytest.fixture
def celery_worker_process(transactional_db, media_root, tmp_path):
    """A real `celery worker` process sharing the test database and broker; its log is printed on failure."""
    from tests.worker import start_worker, stop_worker

    log_path = tmp_path / "worker.log"
    process = start_worker(media_root=media_root, log_path=log_path)
    yield process
    stop_worker(process)
    print(log_path.read_text(errors="replace")[-4000:])


def token_client(user):
    """An API client signed in as `user` with a new personal token (`Authorization: Bearer`), enforcing CSRF as a
    browser session would: a token needs none."""
    import uuid

    from rest_framework.test import APIClient

    from accounts.services import api_token_create

    client = APIClient(enforce_csrf_checks=True)
    secret = api_token_create(user=user, name=f"test {uuid.uuid4()}", days=1).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def storage_elsewhere(settings, media_root):
    """Media in memory, as on object storage: nothing under MEDIA_ROOT, and ``path()`` raises NotImplementedError
    (like S3), so any code that reaches for a local file fails. Yields the storage."""
    from django.core.files.storage import default_storage

    from tests.storage import ObjectLikeStorage

    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "tests.storage.ObjectLikeStorage"}}
    assert isinstance(default_storage._setup() or default_storage._wrapped, ObjectLikeStorage)
    yield default_storage._wrapped
    assert not media_root.exists() or not any(media_root.rglob("*")), "a file was written under MEDIA_ROOT"
