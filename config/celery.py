"""The moslab Celery app: queues `default` (web-side work) and `gpu` (training, one task at a time)."""
import os

from celery import Celery
from kombu import Exchange, Queue

from config.filesystem_broker import use_atomic_filesystem_transport

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

use_atomic_filesystem_transport()  # the embedded default's broker: messages appear whole
app = Celery("moslab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = tuple(Queue(name, Exchange(name), routing_key=name) for name in ("default", "gpu"))
app.autodiscover_tasks()
