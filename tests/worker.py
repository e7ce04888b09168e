"""A real Celery worker process for tests, on the same database and broker as the test run."""
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.db import connection

from config.celery import app

REPO = Path(__file__).resolve().parents[1]


def test_database_url() -> str:
    """The URL of the database the tests use right now (pytest-django's test database)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(*, media_root: Path, queues: str = "default,gpu", log_path: Path,
                 env: dict[str, str] | None = None) -> subprocess.Popen:
    app.control.purge()  # stale messages of earlier runs must not reach this worker
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": test_database_url(),
        "MEDIA_ROOT": str(media_root),
        "MOSLAB_RUN_WORK_DIR": str(media_root.parent / "run-work"),
        **(env or {}),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queues, "--pool", "solo",
        "-n", f"test-{uuid.uuid4().hex[:8]}@%h", "--without-gossip", "--without-mingle", "--loglevel", "INFO",
    ]
    log = log_path.open("ab")
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop_worker(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(condition, *, timeout: float = 90, what: str = "the worker") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
