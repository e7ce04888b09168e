"""Settings shared by every environment; everything deployment-specific comes from the environment."""
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("MOSLAB_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "common",
    "accounts",
    "studies",
    "annotation",
    "modeling",
    "challenges",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'moslab.sqlite3'}"),
        # Production: DATABASE_CONN_MAX_AGE=60 keeps each worker's connection open between requests
        # (0 opens one per request); health checks test a reused connection once per request.
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the Celery worker read while the other writes. IMMEDIATE takes the write
    # lock when a transaction begins, so a transaction that reads and then writes waits its turn (up to
    # `timeout` seconds, SQLite's busy timeout) instead of failing with "database is locked" when another
    # connection wrote in between; synchronous=NORMAL is the durable-enough WAL default.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": int(os.environ.get("MOSLAB_SQLITE_BUSY_TIMEOUT", "30")),
    }

# Cache: Redis when CACHE_URL is set (required in production); sessions are then read from it and
# written through to the database. Unset: each process keeps a small memory cache, sessions in the database.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"CACHE_URL must be a Redis URL such as redis://127.0.0.1:6379/1, not {CACHE_URL!r}."
        )
    CACHES = {"default": {"BACKEND": "common.cache.RedisCache", "LOCATION": CACHE_URL,
                          "KEY_PREFIX": "moslab"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Django's ModelBackend with a cheaper user read per request (accounts/backends.py). Sessions signed in under
# django.contrib.auth.backends.ModelBackend (before this setting) are signed out once.
AUTHENTICATION_BACKENDS = ["accounts.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "studies:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# Stimulus uploads: the largest image we accept, in pixels (guards against decompression bombs).
MOSLAB_MAX_IMAGE_PIXELS = int(os.environ.get("MOSLAB_MAX_IMAGE_PIXELS", str(64 * 1024 * 1024)))
MOSLAB_MAX_VIDEO_SECONDS = float(os.environ.get("MOSLAB_MAX_VIDEO_SECONDS", "600"))
MOSLAB_MAX_UPLOAD_BYTES = int(os.environ.get("MOSLAB_MAX_UPLOAD_BYTES", str(512 * 1024 * 1024)))
# Browser uploads of stimuli arrive in chunks here until imported; one untouched this long is abandoned and removed.
MOSLAB_UPLOAD_DIR = Path(os.environ.get("MOSLAB_UPLOAD_DIR", VAR_DIR / "uploads"))
MOSLAB_UPLOAD_ABANDON_HOURS = float(os.environ.get("MOSLAB_UPLOAD_ABANDON_HOURS", "24"))
MOSLAB_UPLOAD_CHUNK_BYTES = 1024 * 1024  # the page sends chunks of this size (well under a request's body limit)
# Who may make studies besides staff: members of this group (docs/coordinators.md).
MOSLAB_STUDY_CREATORS_GROUP = os.environ.get("MOSLAB_STUDY_CREATORS_GROUP", "study creators")

# Mail to coordinators (e.g. an annotator paused): printed to the console unless an SMTP server is set.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "moslab@localhost")
MOSLAB_SITE_URL = os.environ.get("MOSLAB_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

REST_FRAMEWORK = {
    # Browsers use the session (with CSRF); scripts a personal token: Authorization: Bearer <token>.
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication",
                                       "accounts.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Request bodies are JSON; the two upload endpoints declare multipart themselves.
    "DEFAULT_PARSER_CLASSES": ["common.parsers.BoundedJSONParser"],  # nesting bounded: 400, not 500
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_THROTTLE_CLASSES": ["accounts.authentication.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": os.environ.get("MOSLAB_TOKEN_RATE", "1200/min")},
    "DEFAULT_SCHEMA_CLASS": "common.api.ApiSchema",
    "EXCEPTION_HANDLER": "common.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "moslab API",
    "VERSION": "0.1.0",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],  # the schema is for signed-in users
    # choice sets that share a field name ("status", "kind") each keep a stable schema name
    "ENUM_NAME_OVERRIDES": {"StatusEnum": "common.models.JobStatus", "KindEnum": "studies.datasets.inputs.SPLIT_KINDS",
                            "TrainingRunKindEnum": "modeling.models.TrainingRun.Kind",
                            "StudyStatusEnum": "studies.models.Study.Status",
                            "QualityItemKindEnum": "annotation.models.QualityItem.Kind"},
}

# Celery: the broker needs no server by default (kombu's filesystem transport under var/).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")


def filesystem_broker_options(folder: Path) -> dict[str, object]:
    """kombu's filesystem transport: queues are files in `folder`, shared by every process on this machine.

    The worker looks for new messages every 0.1 s (kombu's default is 1 s, which a coordinator waiting for
    a MOS computation would feel); an idle look is one directory listing."""
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }


if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(VAR_DIR / "broker")
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"modeling.tasks.*": {"queue": "gpu"}}
CELERY_TASK_IGNORE_RESULT = True  # long work reports through database rows, not a result backend
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Background jobs (common.jobs, docs/architecture.md "Long work is a database row"): a worker beats every
# HEARTBEAT seconds; a running job silent for LEASE seconds lost its worker and is queued again, up to
# MAX_ATTEMPTS attempts, then failed with the reason. Every worker sweeps on start and every SWEEP seconds.
MOSLAB_JOB_HEARTBEAT_SECONDS = float(os.environ.get("MOSLAB_JOB_HEARTBEAT_SECONDS", "10"))
MOSLAB_JOB_LEASE_SECONDS = float(os.environ.get("MOSLAB_JOB_LEASE_SECONDS", "120"))
MOSLAB_JOB_MAX_ATTEMPTS = int(os.environ.get("MOSLAB_JOB_MAX_ATTEMPTS", "3"))
MOSLAB_JOB_SWEEP_SECONDS = float(os.environ.get("MOSLAB_JOB_SWEEP_SECONDS", "60"))
MOSLAB_JOB_PAUSE_AFTER_CLAIM = 0.0  # seconds; set by fault-injection tests only (config/settings/test.py)

# Training and benchmark runs (the gpu queue): see docs/runs.md.
MOSLAB_RUN_TIME_LIMIT = int(os.environ.get("MOSLAB_RUN_TIME_LIMIT", str(24 * 3600)))  # seconds per training run
MOSLAB_RUN_HEARTBEAT_SECONDS = float(os.environ.get("MOSLAB_RUN_HEARTBEAT_SECONDS", "10"))
MOSLAB_RUN_STALE_SECONDS = float(os.environ.get("MOSLAB_RUN_STALE_SECONDS", "120"))  # no heartbeat: worker gone
MOSLAB_RUN_MAX_ATTEMPTS = int(os.environ.get("MOSLAB_RUN_MAX_ATTEMPTS", "3"))  # resumptions after a lost worker
# The gpu worker's local disk for a run's files (inputs copied from the media storage, the resume point):
# modeling/runs/files.py and docs/deploy.md.
MOSLAB_RUN_WORK_DIR = Path(os.environ.get("MOSLAB_RUN_WORK_DIR", VAR_DIR / "run-work"))

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Security (docs/deploy.md#security) -------------------------------------------------------------
# Request bodies are refused before they are read when larger than their endpoint allows (an upload
# view declares its own limit with common.body_limits.body_limit; every other request gets this one).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("MOSLAB_MAX_REQUEST_BYTES", str(2_621_440)))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # larger uploads go to a temporary file, never to memory
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.csrf.CsrfViewMiddleware"),
                  "common.body_limits.RequestBodyLimitMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.csrf.CsrfViewMiddleware"),
                  "common.nul_guard.NulCharacterMiddleware")  # after the body limit: PostgreSQL refuses NUL
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "common.csp.ContentSecurityPolicyMiddleware")
# Content-Security-Policy: everything from this site only; <style> blocks carry the request's nonce (common.csp).
MOSLAB_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "style-src-attr": ["'unsafe-inline'"],  # plotly.js sets style attributes on its SVG; they cannot load anything
    "img-src": ["'self'", "data:", "blob:"],
    "media-src": ["'self'", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
MOSLAB_CSP_REPORT_ONLY = env_bool("MOSLAB_CSP_REPORT_ONLY", False)
# Login and password-reset throttling (common.throttle): counts in the cache, shared when CACHE_URL is set.
MOSLAB_LOGIN_FAILURES = int(os.environ.get("MOSLAB_LOGIN_FAILURES", "5"))  # per account and client address
MOSLAB_LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("MOSLAB_LOGIN_FAILURES_PER_ADDRESS", "50"))
MOSLAB_LOGIN_LOCKOUT_SECONDS = int(os.environ.get("MOSLAB_LOGIN_LOCKOUT_SECONDS", "900"))
MOSLAB_PASSWORD_RESETS = int(os.environ.get("MOSLAB_PASSWORD_RESETS", "5"))  # per address and per e-mail
MOSLAB_PASSWORD_RESET_WINDOW_SECONDS = int(os.environ.get("MOSLAB_PASSWORD_RESET_WINDOW_SECONDS", "3600"))
MOSLAB_CLIENT_IP_HEADER = os.environ.get("MOSLAB_CLIENT_IP_HEADER", "")  # e.g. HTTP_X_FORWARDED_FOR behind a proxy
