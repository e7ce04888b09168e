"""gunicorn settings for moslab: `gunicorn -c config/gunicorn.py` (bin/serve does this; docs/deploy.md).

Every value can be changed from the environment. Requests are short (a vote, a page, a media file
streamed from storage), so plain synchronous workers; long work runs in the Celery workers.
"""
import os

wsgi_app = "config.wsgi:application"
bind = os.environ.get("MOSLAB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))  # about 2 per core; 4 on a 2-core machine
worker_class = "sync"
timeout = int(os.environ.get("MOSLAB_WEB_TIMEOUT", "60"))  # a request running longer is killed
graceful_timeout = 20  # seconds to finish requests in flight on SIGTERM
keepalive = 5  # behind a proxy that keeps connections open
max_requests = 5000  # recycle workers now and then: bounded memory over weeks
max_requests_jitter = 500
# The app and its URL modules (every view, DRF) are imported once in the master before the workers fork: a worker
# (at start, and each one that replaces a recycled worker) answers its first requests without spending a second
# importing them. Nothing opens a database or cache connection at import; each worker opens its own on first use.
preload_app = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")  # the proxy in front (docs/deploy.md)
accesslog = os.environ.get("MOSLAB_ACCESS_LOG") or None  # "-" for stdout; off by default
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()


def when_ready(server):
    """In the master, after the app is loaded and before any worker forks: import the URL modules too."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (the property imports them)
