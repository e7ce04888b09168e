"""bin/serve's production stack (gunicorn, WhiteNoise, the Celery workers), driven by a browser: log in, vote, MOS.

bin/serve runs from a fresh copy of the repository (the files git tracks or would track: what a clone of this
commit holds, uncommitted edits included), with nothing built there: no var/, no collected static files, no
secret key. It reuses this test run's virtual environment (MOSLAB_VENV, as docs/deploy.md documents) instead of
installing one. It runs on the test database and broker; it is stopped with SIGTERM and must take everything it
started with it. MOSLAB_TEST_SERVE_PORT picks its port (default: any free one).
"""
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from annotation import assignment_services
from studies import services
from studies.models import Membership, MosComputation, Rating, Study
from tests import worker

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
REPO = Path(__file__).resolve().parents[2]
START_SECONDS = 180  # check --deploy, migrate and collectstatic (WhiteNoise compresses plotly) come first


@pytest.fixture
def rated_study(coordinator, make_user, image_folder):
    """An open study of 3 images, one annotator to rate each."""
    next(image_folder.glob("*.png")).unlink()
    study = services.study_create(name="Served", slug="served", created_by=coordinator, raters_per_stimulus=1)
    services.stimuli_import(study=study, source=image_folder)
    Study.objects.filter(pk=study.pk).update(status=Study.Status.OPEN)
    annotator = make_user("rater")
    services.membership_add(study=study, user=annotator, role=Membership.Role.ANNOTATOR)
    assignment_services.assignment_create(study=study, seed=0)
    return study, annotator


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fresh_copy(destination: Path) -> Path:
    """The repository's files as a clone would hold them (tracked, or new and not ignored), nothing else."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():  # a tracked file deleted in the working tree is not copied
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


@pytest.fixture
def served(media_root, tmp_path):
    """bin/serve of a fresh copy on a free port; yields (base url, its output so far as a callable); stopped with
    SIGTERM."""
    port = int(os.environ.get("MOSLAB_TEST_SERVE_PORT") or free_port())
    clone = fresh_copy(tmp_path / "clone")
    assert not (clone / "var").exists() and not (clone / ".venv").exists()
    env = {**os.environ, "MOSLAB_VENV": str(Path(sys.executable).parents[1]),
           "DATABASE_URL": worker.test_database_url(),
           "MOSLAB_VAR_DIR": str(tmp_path / "serve-var"), "MEDIA_ROOT": str(media_root),
           "MOSLAB_BIND": f"127.0.0.1:{port}", "SECRET_KEY": secrets.token_urlsafe(50), "SECURE_COOKIES": "0",
           "WEB_CONCURRENCY": "2", "MOSLAB_DEFAULT_CONCURRENCY": "1", "MOSLAB_STOP_SECONDS": "20"}
    for name in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"):  # check --deploy refuses the latter
        env.pop(name, None)
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        env.pop("CELERY_BROKER_URL", None)  # the filesystem broker under serve-var/broker, shared by bin/serve only
    output = tmp_path / "serve.out"
    with output.open("wb") as sink:
        process = subprocess.Popen([str(clone / "bin" / "serve")], cwd=tmp_path, env=env, stdout=sink,
                                   stderr=subprocess.STDOUT)

    def log() -> str:
        text = output.read_text(errors="replace")
        for name in ("web", "worker-default", "worker-gpu", "beat"):
            path = tmp_path / "serve-var" / "log" / f"{name}.log"
            if path.exists():
                text += f"\n--- {name}.log\n" + path.read_text(errors="replace")[-3000:]
        return text

    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while "moslab: http" not in output.read_text(errors="replace") or not _answers(f"{base}/accounts/login/"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"bin/serve did not start (exit {process.poll()}):\n{log()}")
        time.sleep(0.5)
    started = [int(pid) for pid in re.findall(r"started \S+ \(pid (\d+)\)", output.read_text())]
    assert started and {os.readlink(f"/proc/{pid}/cwd") for pid in started} == {str(clone)}, \
        "every process runs from the fresh copy"
    yield base, log
    process.send_signal(signal.SIGTERM)
    try:
        assert process.wait(timeout=60) == 0, log()
    finally:
        if process.poll() is None:
            process.kill()
    started = [int(pid) for pid in re.findall(r"started \S+ \(pid (\d+)\)", output.read_text())]
    assert len(started) >= 3, log()
    assert not [pid for pid in started if Path(f"/proc/{pid}").exists()], "bin/serve left processes running"
    assert not _answers(f"{base}/accounts/login/"), "gunicorn still answers after SIGTERM"


def _answers(url: str) -> bool:
    try:
        return fetch(url)[0] == 200
    except OSError:
        return False


def test_serve_logs_in_votes_and_computes_mos_through_gunicorn(served, browser, rated_study, coordinator):
    base, log = served
    study, annotator = rated_study
    status, headers, body = fetch(f"{base}/accounts/login/")
    assert headers["Server"].startswith("gunicorn"), "served by gunicorn, not runserver"
    stylesheet = re.search(rb'href="/static/(css/moslab\.[0-9a-f]{12}\.css)"', body)
    assert stylesheet, "the page links collectstatic's hashed stylesheet (manifest storage)"
    css_status, css_headers, _ = fetch(f"{base}/static/{stylesheet.group(1).decode()}")
    assert css_status == 200 and "immutable" in css_headers["Cache-Control"], "WhiteNoise serves static files"

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        login(page, base, annotator)
        page.goto(f"{base}/studies/{study.pk}/rate/")
        for key in ["4", "2", "5"]:
            page.wait_for_function("() => window.moslabRating && window.moslabRating.ready()")
            page.keyboard.press(key)
            if page.is_visible("#reason-row"):
                page.fill("#reason", "production stack vote")
            page.keyboard.press("Enter")
            # the vote is sent; the last one leads to the done page, which has no rating script
            page.wait_for_function("() => !window.moslabRating || window.moslabRating.queueLength() === 0")
        page.wait_for_selector("text=You have rated all 3 images")
        votes = Rating.objects.filter(study=study, rater=annotator).order_by("created_at")
        assert list(votes.values_list("score", flat=True)) == [4, 2, 5], log()

        page = context.new_page()
        context.clear_cookies()
        login(page, base, coordinator)
        page.click("text=Study page")
        page.select_option("select[name=method]", "mean")
        page.click("text=Compute MOS")
        page.wait_for_selector("text=Download CSV", timeout=90_000)
    finally:
        context.close()
    computation = MosComputation.objects.get(study=study)
    assert computation.status == MosComputation.Status.SUCCEEDED, log()  # no other worker runs in this test


def login(page, base: str, user) -> None:
    """Log in through the form; the password is stored with production's hasher (tests use a fast MD5 one)."""
    password = f"{user.username}-pw"
    user.password = PBKDF2PasswordHasher().encode(password, PBKDF2PasswordHasher().salt(), iterations=1000)
    user.save(update_fields=["password"])
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")

