"""Test settings: the same services as configured by the environment, fast password hashing.

With DATABASE_URL and CELERY_BROKER_URL unset, tests run on SQLite and the filesystem broker.
The SQLite test database is a file (not memory) so that a Celery worker process can share it.
"""
import os
from pathlib import Path

from config.settings.base import *  # noqa: F403
from config.settings.base import CELERY_BROKER_URL, DATABASES, VAR_DIR, filesystem_broker_options

SECRET_KEY = os.environ.get("SECRET_KEY") or "insecure-test-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A worker started by a fault-injection test waits this long after claiming a job, so the test can kill it
# mid-job (tests/worker.py); 0 elsewhere.
MOSLAB_JOB_PAUSE_AFTER_CLAIM = float(os.environ.get("MOSLAB_JOB_PAUSE_AFTER_CLAIM", "0"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "test-media"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-moslab.sqlite3")}
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(VAR_DIR / "test-broker")
