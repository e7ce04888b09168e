"""Compute MOS from the click: the coordinator's POST to the results page being ready, worker included.

For each size, a study of simulated votes (bench_mos.simulated: 5% missing, plus relabel history,
pending relabels and gold votes that must not count) is written straight into the database. Then a real
web server (gunicorn, 2 sync workers) and a real Celery worker (solo pool) are started. Over HTTP, the bench
posts *Compute MOS* (BT.500) with the coordinator's session and CSRF token, loads the results page, asks
the computation's JSON status as the page's script does (every 100 ms at first, then after a tenth of the time
waited; static/js/job_wait.js), and loads the page again once the job has ended: it must show "Succeeded".
Before the timed click, 4 clicks on a 20 x 3 study warm the web and Celery processes (their first request and
task import the MOS engine and the broker client), as on a site that has been running; `--clicks N` times N
clicks on the same study, one after another (the first pays the worker's first use of that much memory).
Printed per click: that time, its parts from the row
(queue wait, worker, and the rest: the request, the commit of the results and the poll), the worker's CPU
time and peak RSS, the engine alone on the same matrix, the matrix read alone (one pass, and with --orm the
old correlated-subquery path), the results page's response time (first and last page) and the load average.

    # embedded default (SQLite file + filesystem broker under /tmp/moslab-bench-click)
    python bench/bench_mos_click.py --sizes 1000x21,20000x21,100000x30
    # PostgreSQL + Redis (the database name must contain "bench": it is migrated and filled)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/moslab_scale_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/13 \\
        python bench/bench_mos_click.py --sizes 1000x21,20000x21,100000x30
"""
import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
WORK = Path(os.environ.get("MOSLAB_BENCH_DIR", "/tmp/moslab-bench-click"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("MOSLAB_VAR_DIR", str(WORK / "var"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORK / 'bench.sqlite3'}")
WORK.mkdir(parents=True, exist_ok=True)

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from bench_mos import simulated  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from moslab_science.mos import compute_mos  # noqa: E402
from studies import services  # noqa: E402
from studies.models import MosComputation, Rating, Stimulus  # noqa: E402
from studies.mos_adapter import study_score_matrix  # noqa: E402
from tests.worker import start_worker, stop_worker  # noqa: E402

RATING_COLUMNS = ("study_id", "stimulus_id", "rater_id", "score", "dimension", "client_id", "created_at", "purpose",
                  "round", "verified", "deductions", "display", "reason", "change_reason")
EPOCH = datetime(2026, 6, 1, tzinfo=UTC)
CLICK_TIMEOUT_S = 600
POLL_MS, WAIT_SHARE, SLOWEST_MS = 100, 0.1, 2000  # the results page's status poll (static/js/job_wait.js)


def insert(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Bench data straight into a table (JSON, UUID and time values given as the text the column reads)."""
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # text COPY, written in one piece (no value here needs escaping)
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                copy.write("".join("\t".join(map(str, row)) + "\n" for row in rows))
        else:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})", rows)


def build_study(n_stimuli: int, n_raters: int, coordinator) -> tuple[object, int]:
    """The study, and the number of votes written (current ones plus the history that must not count)."""
    tag = uuid.uuid4().hex[:6]
    study = services.study_create(name=f"Click {n_stimuli}x{n_raters}", slug=f"click-{tag}", created_by=coordinator)
    Stimulus.objects.bulk_create([Stimulus(study=study, name=f"s{index:06d}.png") for index in range(n_stimuli)],
                                 batch_size=5000)
    stimuli = np.array(Stimulus.objects.filter(study=study).order_by("name").values_list("pk", flat=True))
    raters = [get_user_model().objects.create_user(f"r{tag}-{index:02d}") for index in range(n_raters)]
    scores = simulated(n_stimuli, n_raters).scores[:, :, 0]
    rng = np.random.default_rng(7)
    uuid_text = lambda: (uuid.uuid4().hex if connection.vendor == "sqlite" else str(uuid.uuid4()))  # noqa: E731
    when = lambda offset: (EPOCH + timedelta(seconds=offset)).isoformat(sep=" ")  # noqa: E731
    rows = []
    for (row, column), score in np.ndenumerate(scores):
        if np.isnan(score):
            continue
        cell = (study.pk, int(stimuli[row]), raters[column].pk)
        draw = rng.random()
        if draw < 0.01:  # an earlier vote, replaced by the verified relabel below
            rows.append((*cell, float(6 - score), "", uuid_text(), when(-3600), "rating", 0, True, "{}", "{}", "", ""))
        rows.append((*cell, float(score), "", uuid_text(), when(0), "rating", 1 if draw < 0.01 else 0, True,
                     "{}", "{}", "", ""))
        if 0.01 <= draw < 0.015:  # a relabel still awaiting its check
            rows.append((*cell, float(6 - score), "", uuid_text(), when(60), "rating", 1, False, "{}", "{}", "", ""))
        elif 0.015 <= draw < 0.02:  # a gold check: never counts
            rows.append((*cell, 1.0, "", uuid_text(), when(120), "gold", 0, True, "{}", "{}", "", ""))
    for start in range(0, len(rows), 200_000):
        insert(Rating._meta.db_table, RATING_COLUMNS, rows[start:start + 200_000])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Rating._meta.db_table}")
    return study, len(rows)


class Browser:
    """The coordinator's browser: one keep-alive HTTP connection carrying the session cookie."""

    def __init__(self, port: int, session: str):
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies = {"sessionid": session}

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urlencode(body)
            headers |= {"Content-Type": "application/x-www-form-urlencoded", "Referer": "http://127.0.0.1/",
                        "X-CSRFToken": self.cookies.get("csrftoken", "")}
        self.http.request(method, path, body=data, headers=headers)
        response = self.http.getresponse()
        text = response.read().decode()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, dict(response.headers), text


def timed_get(browser: Browser, path: str, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        status, _, _ = browser.request("GET", path)
        times.append(time.perf_counter() - start)
        assert status == 200, f"GET {path} answered {status}"
    return statistics.median(times)


def wait_until_ready(log: Path, timeout: float = 300) -> None:
    """The click comes once the worker says it is ready, as a coordinator's would on a running site."""
    deadline = time.monotonic() + timeout
    while " ready." not in (log.read_text(errors="replace") if log.exists() else ""):
        if time.monotonic() > deadline:
            sys.exit(f"the Celery worker did not start in {timeout:.0f} s; see {log}")
        time.sleep(0.2)


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def click(browser: Browser, study_id: int) -> tuple[float, str]:
    status, _, page = browser.request("GET", f"/studies/{study_id}/")
    assert status == 200, f"study page answered {status}"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    start = time.perf_counter()
    status, headers, _ = browser.request("POST", f"/studies/{study_id}/mos/",
                                         {"csrfmiddlewaretoken": token, "method": "bt500", "mode": "default"})
    assert status == 302, f"Compute MOS answered {status}"
    location = headers["Location"]
    _, _, page = browser.request("GET", location)
    status_url = re.search(r'data-job-status-url="([^"]+)"', page)
    delay, asked_from = POLL_MS, time.perf_counter()
    while status_url:  # what static/js/job_wait.js does in the browser, then its reload
        if time.perf_counter() - start > CLICK_TIMEOUT_S:
            sys.exit(f"no result {CLICK_TIMEOUT_S} s after the click on study {study_id}; see the worker log in {WORK}")
        time.sleep(delay / 1000)
        _, _, text = browser.request("GET", status_url.group(1))
        if json.loads(text)["status"] not in ("queued", "running"):
            break
        delay = min(max(POLL_MS, (time.perf_counter() - asked_from) * 1000 * WAIT_SHARE), SLOWEST_MS)
    _, _, page = browser.request("GET", location)
    assert 'id="computation-status">Succeeded' in page or 'id="computation-status">Failed' in page
    return time.perf_counter() - start, location


def run_size(n_stimuli: int, n_raters: int, *, port: int, coordinator, warm_study, args) -> None:
    study, votes = build_study(n_stimuli, n_raters, coordinator)
    start = time.perf_counter()
    matrix = study_score_matrix(study).matrix
    read_s = time.perf_counter() - start
    orm_s = float("nan")
    if args.orm and votes <= args.orm_up_to:
        start = time.perf_counter()
        list(Rating.objects.filter(study=study, dimension="").current()
             .values_list("stimulus__name", "rater__username", "score"))
        orm_s = time.perf_counter() - start
    start = time.perf_counter()
    compute_mos(matrix, "bt500", "default")
    engine_s = time.perf_counter() - start
    log = WORK / f"worker-{n_stimuli}x{n_raters}.log"
    log.unlink(missing_ok=True)
    worker = start_worker(media_root=WORK / "media", queues="default", log_path=log)
    try:
        wait_until_ready(log)
        session = Client()
        session.force_login(coordinator)
        browser = Browser(port, session.cookies["sessionid"].value)
        for _ in range(args.warm_clicks):  # as on a running site: web and Celery processes have served requests
            click(browser, warm_study.pk)
        for number in range(1, args.clicks + 1):
            cpu_before = cpu_seconds(worker.pid)
            total_s, location = click(browser, study.pk)
            worker_cpu_s, worker_mib = cpu_seconds(worker.pid) - cpu_before, peak_rss_mib(worker.pid)
            report((n_stimuli, n_raters, votes), number, total_s, location, browser, worker_cpu_s, worker_mib,
                   read_s=read_s, orm_s=orm_s, engine_s=engine_s)
    finally:
        stop_worker(worker)


def report(size: tuple[int, int, int], number: int, total_s: float, location: str, browser: Browser,
           worker_cpu_s: float, worker_mib: float, *, read_s: float, orm_s: float, engine_s: float) -> None:
    computation = MosComputation.objects.get(pk=int(location.rstrip("/").rsplit("/", 1)[1]))
    assert computation.status == "succeeded", computation.error
    queued_s = (computation.started_at - computation.created_at).total_seconds()
    worked_s = (computation.finished_at - computation.started_at).total_seconds()
    n_stimuli, n_raters, votes = size
    last = (n_stimuli + 99) // 100
    first_page_s, last_page_s = timed_get(browser, location), timed_get(browser, f"{location}?page={last}")
    print(f"{n_stimuli}x{n_raters} ({votes:,} votes in the table, {computation.num_ratings:,} current) on "
          f"{connection.vendor}, click {number}: click to results page {total_s:.2f} s (queued {queued_s:.2f} s, "
          f"worker {worked_s:.2f} s, request + commit + poll {total_s - queued_s - worked_s:.2f} s); worker CPU "
          f"{worker_cpu_s:.2f} s, peak RSS {worker_mib:.0f} MiB; one-pass matrix read {read_s:.2f} s"
          + (f", ORM current() read {orm_s:.2f} s" if orm_s == orm_s else "")
          + f"; engine alone {engine_s:.3f} s; results page 1 {first_page_s * 1000:.0f} ms, page {last} "
          f"{last_page_s * 1000:.0f} ms (median of 5, over HTTP); load average {load_average()}", flush=True)


def wait_for_server(port: int, timeout: float = 120) -> None:
    """Until each gunicorn worker has answered (its first request imports the views)."""
    deadline, answered = time.monotonic() + timeout, 0
    while answered < 4:
        try:
            connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection_.request("GET", "/accounts/login/")
            answered += connection_.getresponse().status == 200
            connection_.close()
        except OSError:
            if time.monotonic() > deadline:
                sys.exit(f"the web server did not start on port {port} in {timeout:.0f} s")
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000x21,20000x21,100000x30")
    parser.add_argument("--port", type=int, default=8201)
    parser.add_argument("--warm-clicks", type=int, default=4, help="clicks on a 20x3 study before the timed one")
    parser.add_argument("--clicks", type=int, default=1, help="timed clicks on each size's study, one after another")
    parser.add_argument("--orm", action="store_true", help="also time the old correlated-subquery read")
    parser.add_argument("--orm-up-to", type=int, default=500_000, help="... on studies of at most this many votes")
    args = parser.parse_args()
    if connection.vendor == "postgresql" and "bench" not in connection.settings_dict["NAME"]:
        sys.exit("Give a throwaway PostgreSQL database whose name contains 'bench'; it is migrated and filled.")
    call_command("migrate", verbosity=0)
    coordinator = get_user_model().objects.create_user(f"coord-{uuid.uuid4().hex[:6]}")
    print(f"python {' '.join(sys.argv)}  # DATABASE_URL={os.environ['DATABASE_URL']} "
          f"CELERY_BROKER_URL={os.environ.get('CELERY_BROKER_URL', 'filesystem://')}", flush=True)
    with (WORK / "gunicorn.log").open("ab") as log:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{args.port}",
                                   "-w", "2", "--timeout", "120"], cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    warm_study, _ = build_study(20, 3, coordinator)
    try:
        wait_for_server(args.port)
        for size in args.sizes.split(","):
            n_stimuli, n_raters = (int(value) for value in size.split("x"))
            run_size(n_stimuli, n_raters, port=args.port, coordinator=coordinator, warm_study=warm_study, args=args)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
