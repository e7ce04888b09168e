"""Production: required secrets, DEBUG off; PostgreSQL and Redis, or SQLite for one machine (docs/deploy.md)."""
import os

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, MIDDLEWARE, env_bool
from config.settings.media import media_storage


def required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"Set the {name} environment variable for production.")
    return value


SECRET_KEY = required("SECRET_KEY")
required("DATABASE_URL")  # chosen explicitly: PostgreSQL, or sqlite:////absolute/path for one machine
DEBUG = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    CELERY_BROKER_URL = required("CELERY_BROKER_URL")
    required("CACHE_URL")  # sessions are read from Redis (base settings)
elif DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3" or not os.path.isabs(DATABASES["default"]["NAME"]):
    raise ImproperlyConfigured("Production needs PostgreSQL (DATABASE_URL=postgres://user:pass@host:5432/db), "
                               "or SQLite on one machine (DATABASE_URL=sqlite:////absolute/path/moslab.sqlite3)")
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Security (docs/deploy.md#security) -------------------------------------------------------------


def proxy_ssl_header(text: str) -> tuple[str, str] | None:
    """'X-Forwarded-Proto: https' (what the proxy sets on HTTPS requests) -> Django's META name and value."""
    if not text.strip():
        return None
    name, separator, value = text.partition(":")
    if not separator or not name.strip() or not value.strip():
        raise ImproperlyConfigured(
            f"SECURE_PROXY_SSL_HEADER must look like 'X-Forwarded-Proto: https', not {text!r}.")
    return "HTTP_" + name.strip().upper().replace("-", "_"), value.strip()


SECURE_PROXY_SSL_HEADER = proxy_ssl_header(os.environ.get("SECURE_PROXY_SSL_HEADER", ""))
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)


# --- Production stack: static files from the app server, media through the storage API (docs/deploy.md) ---
# WhiteNoise serves collectstatic's hashed, compressed files; it must come right after SecurityMiddleware.
_security = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware")
MIDDLEWARE = [*MIDDLEWARE[: _security + 1], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[_security + 1:]]
STORAGES = {"default": media_storage(os.environ),
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
# Each gunicorn and Celery process keeps its database connection between requests (0: one per request).
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
# No `SELECT 1` before each request's first query (7.7 % of request time under py-spy, docs/benchmarks.md): after
# a database restart each process answers one request with an error, then reconnects (DATABASE_CONN_HEALTH_CHECKS=1
# to check every reused connection instead).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("DATABASE_CONN_HEALTH_CHECKS", False)
