"""Production: PostgreSQL and Redis, required secrets, DEBUG off."""
import os

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, env_bool


def required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"Set the {name} environment variable for production.")
    return value


SECRET_KEY = required("SECRET_KEY")
required("DATABASE_URL")
CELERY_BROKER_URL = required("CELERY_BROKER_URL")
required("CACHE_URL")  # sessions are read from Redis (base settings)
DEBUG = False
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production needs PostgreSQL: DATABASE_URL=postgres://user:pass@host:5432/db")
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
