"""The rating round trip over HTTP, through the production stack that bin/serve starts.

gunicorn (WEB_CONCURRENCY=4), the Celery workers, PostgreSQL and Redis (or the embedded default: SQLite and
the filesystem broker), on a fresh database with one open study. The client runs one thread per annotator
and opens a new TCP connection for every request. A round trip is what the rating page does per vote: the
vote POST (its answer carries the next tasks) and the GET of the image it prefetches next. Reported: p50,
p95, p99 of the round trip, round trips/s, errors, votes lost or duplicated (SQL after the run), and server
CPU per round trip from /proc: gunicorn and Celery process groups plus the PostgreSQL backends of the
bench database (Redis is shared with other work on this machine and is left out).

    python bench/bench_http.py --scenario think --backend postgres     # one scenario
    python bench/bench_http.py --all             # all four: the commands first, a markdown table of them last

PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/moslab_prodstack_bench, dropped and
created), BENCH_BROKER_URL and BENCH_CACHE_URL (default Redis DBs 7 and 8). Peer: the issue's Label Studio
1.23.2 figures with the same harness (p95 16.8 s and 3.3 round trips/s saturated, ~140 ms server CPU per round
trip, p50 294 ms for one annotator) and the issue's targets.
"""
import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = {  # name: (backend, annotators, think seconds (low, high), duration seconds)
    "saturated": ("postgres", 50, (0.0, 0.0), 60),
    "think": ("postgres", 50, (2.0, 4.0), 90),
    "single": ("postgres", 1, (0.0, 0.0), 30),
    "think-embedded": ("sqlite", 50, (2.0, 4.0), 90),
}
TARGETS = "server CPU <= 5 ms/round trip; >= 200 round trips/s saturated; p95 < 50 ms think (PostgreSQL); " \
          "embedded think: 0 errors, p95 < 100 ms"
PEER = "Label Studio 1.23.2 (issue 16): saturated p95 16.8 s, 3.3 round trips/s, ~140 ms CPU/round trip; " \
       "one annotator p50 294 ms"
STIMULI, RATERS, DISTINCT_FILES = 3000, 5, 40


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--all", action="store_true", help="every scenario, one after the other")
    parser.add_argument("--duration", type=float, help="seconds (default: the scenario's)")
    parser.add_argument("--port", type=int, default=8150)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))  # so that bin/serve is stopped too
    names = sorted(SCENARIOS) if args.all else [args.scenario] if args.scenario else parser.error("--scenario or --all")
    for name in names:
        print(f"python bench/bench_http.py --scenario {name}")
    rows = [run_scenario(name, port=args.port, duration=args.duration) for name in names]
    print(f"\n{TABLE_HEADER}")  # the rows of docs/benchmarks.md's table
    print("\n".join(rows))


def run_scenario(name: str, *, port: int, duration: float | None) -> str:
    backend, annotators, think, default_duration = SCENARIOS[name]
    var = Path(f"/tmp/moslab-bench-http-{backend}")
    shutil.rmtree(var, ignore_errors=True)
    env = stack_environment(backend, var, port)
    fresh_database(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env, check=True)
    seeded = subprocess.run([sys.executable, str(Path(__file__).with_name("bench_http_seed.py")), str(annotators),
                             str(STIMULI), str(RATERS), str(DISTINCT_FILES)], cwd=REPO, env=env, check=True,
                            stdout=subprocess.PIPE, text=True)  # its errors go to stderr
    study_id, sessions = json.loads(seeded.stdout.strip().splitlines()[-1])
    serve = subprocess.Popen([str(REPO / "bin" / "serve")], cwd=REPO, env=env, stdout=(var / "serve.out").open("wb"),
                             stderr=subprocess.STDOUT)
    try:
        wait_until_serving(port, serve, var)
        groups = {int(pid) for pid in re.findall(r"started \S+ \(pid (\d+)\)", (var / "serve.out").read_text())}
        result = drive(port, study_id, sessions, think=think, duration=duration or default_duration,
                       cpu=ServerCpu(env, groups))
    finally:
        serve.terminate()
        serve.wait(timeout=90)
    stored, duplicates = vote_counts(env, study_id)
    return report(name, backend, annotators, think, result, stored, duplicates)


def stack_environment(backend: str, var: Path, port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", MOSLAB_VAR_DIR=str(var),
               MEDIA_ROOT=str(var / "media"), MOSLAB_BIND=f"127.0.0.1:{port}", SECRET_KEY=secrets.token_urlsafe(50),
               SECURE_COOKIES="0", WEB_CONCURRENCY=os.environ.get("WEB_CONCURRENCY", "4"),
               MOSLAB_VENV=os.environ.get("MOSLAB_VENV", str(Path(sys.executable).parents[1])))
    if backend == "postgres":
        env.update(DATABASE_URL=os.environ.get("BENCH_DATABASE_URL",
                                               "postgres://postgres@127.0.0.1:5432/moslab_prodstack_bench"),
                   CELERY_BROKER_URL=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/7"),
                   CACHE_URL=os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/8"))
    else:
        env["DATABASE_URL"] = f"sqlite:///{var / 'moslab.sqlite3'}"
    var.mkdir(parents=True, exist_ok=True)
    return env


def fresh_database(env: dict[str, str]) -> None:
    url = env["DATABASE_URL"]
    if not url.startswith("postgres"):
        return
    import psycopg

    base, name = url.rsplit("/", 1)
    if not name.startswith("moslab_") or "bench" not in name:
        sys.exit(f"refusing to drop {name!r}: give a bench database (a name with 'bench' in it)")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    import redis

    for key in ("CELERY_BROKER_URL", "CACHE_URL"):
        redis.Redis.from_url(env[key]).flushdb()


def wait_until_serving(port: int, serve: subprocess.Popen, var: Path) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if serve.poll() is not None:
            sys.exit(f"bin/serve exited:\n{(var / 'serve.out').read_text()[-3000:]}")
        if "moslab: http" in (var / "serve.out").read_text():
            try:
                if request(port, "GET", "/accounts/login/", {})[0] == 200:
                    time.sleep(3)  # let the workers finish starting
                    return
            except OSError:
                pass
        time.sleep(0.5)
    sys.exit("bin/serve did not answer within 240 s")


def request(port: int, method: str, path: str, headers: dict, body: bytes | None = None) -> tuple[int, bytes]:
    """One request on a new TCP connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers={**headers, "Connection": "close"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.times: list[float] = []
        self.errors: list[str] = []
        self.acknowledged = 0

    def add(self, *, seconds: float | None = None, error: str | None = None, acknowledged: bool = False) -> None:
        with self.lock:
            if seconds is not None:
                self.times.append(seconds * 1000)
            if error:
                self.errors.append(error)
            self.acknowledged += acknowledged


def annotator(port: int, study_id: int, session: dict, think, stop_at: float, results: Results) -> None:
    """Vote like the rating page: POST the vote, GET the image to prefetch next; repeat after the think time."""
    cookie = f"sessionid={session['sessionid']}; csrftoken={session['csrftoken']}"
    headers = {"Cookie": cookie}
    api = f"/api/annotation/studies/{study_id}/"
    rng = random.Random(session["sessionid"])
    status, body = request(port, "GET", f"{api}queue/", headers)
    if status != 200:
        results.add(error=f"queue {status}")
        return
    state = json.loads(body)
    time.sleep(rng.uniform(*think) if think[1] else 0)
    while time.monotonic() < stop_at and state["tasks"]:
        task = state["tasks"][0]
        vote = {"task_id": task["id"], "client_id": str(uuid.uuid4()), "score": rng.randint(1, 5),
                "deductions": {}, "reason": "bench vote", "response_time_ms": 2500,
                "display": {"viewport": [1920, 1080], "device_pixel_ratio": 1, "fits": True}}
        started = time.perf_counter()
        try:
            status, body = request(port, "POST", f"{api}ratings/", {
                **headers, "Content-Type": "application/json", "X-CSRFToken": session["csrftoken"],
                "Referer": f"http://127.0.0.1:{port}/studies/{study_id}/rate/"}, json.dumps(vote).encode())
            if status not in (200, 201):
                results.add(error=f"vote {status}: {body[:120]!r}")
                time.sleep(1.5)  # the page retries after 1.5 s
                continue
            answer = json.loads(body)
            state = answer["state"]
            upcoming = state["tasks"][1:2] or state["tasks"][:1]
            for item in upcoming:
                image_status, _ = request(port, "GET", item["image_url"], headers)
                if image_status != 200:
                    results.add(error=f"image {image_status}")
            results.add(seconds=time.perf_counter() - started, acknowledged=answer["created"])
        except (OSError, http.client.HTTPException, ValueError) as error:
            results.add(error=f"{type(error).__name__}: {error}")
            time.sleep(1.5)
        if think[1]:
            time.sleep(rng.uniform(*think))


def drive(port: int, study_id: int, sessions: list[dict], *, think, duration: float, cpu: "ServerCpu") -> dict:
    results = Results()
    warm_up(port, study_id, sessions[0])
    stop_at = time.monotonic() + duration
    threads = [threading.Thread(target=annotator, args=(port, study_id, session, think, stop_at, results))
               for session in sessions]
    load_before = os.getloadavg()[0]
    cpu.start()
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    return {"results": results, "wall": wall, "cpu": cpu.stop(), "load": (load_before, os.getloadavg()[0])}


def warm_up(port: int, study_id: int, session: dict, requests: int = 40) -> None:
    """Not measured: each gunicorn process imports the views and opens its connections on its first requests."""
    headers = {"Cookie": f"sessionid={session['sessionid']}; csrftoken={session['csrftoken']}"}
    for _ in range(requests):
        status, body = request(port, "GET", f"/api/annotation/studies/{study_id}/queue/", headers)
        if status == 200 and json.loads(body)["tasks"]:
            request(port, "GET", json.loads(body)["tasks"][0]["image_url"], headers)


class ServerCpu:
    """CPU seconds of the server side, sampled from /proc every 0.2 s: bin/serve's process groups (gunicorn, the
    Celery workers) and the PostgreSQL backends of the bench database."""

    def __init__(self, env: dict, groups: set[int]):
        self.database = env["DATABASE_URL"].rsplit("/", 1)[1] if env["DATABASE_URL"].startswith("postgres") else None
        self.groups = groups  # bin/serve starts each process in its own session: group id = its pid
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self.running = threading.Event()
        self.baseline = True  # the first sample's values are subtracted; a process seen later starts at 0

    def sample(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            kind = self.kind(int(stat[2]), command)
            if kind:
                pid, seconds = int(entry.name), (int(stat[11]) + int(stat[12])) / tick
                self.first.setdefault(pid, seconds if self.baseline else 0.0)
                self.last[pid] = (kind, seconds)

    def kind(self, group: int, command: str) -> str | None:
        if group in self.groups:
            return "app" if "gunicorn" in command else "worker"
        if self.database and command.startswith("postgres: ") and f" {self.database} " in command:
            return "postgres"
        return None

    def start(self) -> None:
        self.sample()
        self.baseline = False
        self.running.set()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self) -> None:
        while self.running.is_set():
            self.sample()
            time.sleep(0.2)

    def stop(self) -> dict[str, float]:
        self.sample()
        self.running.clear()
        self.thread.join()
        totals: dict[str, float] = {}
        for pid, (kind, seconds) in self.last.items():
            totals[kind] = totals.get(kind, 0.0) + seconds - self.first.get(pid, 0.0)
        return totals


def vote_counts(env: dict, study_id: int) -> tuple[int, int]:
    """Stored votes of the study, and (rater, stimulus, dimension) pairs stored more than once."""
    query = ("SELECT COUNT(*), (SELECT COUNT(*) FROM (SELECT 1 FROM studies_rating WHERE study_id = %(s)s "
             "GROUP BY rater_id, stimulus_id, dimension HAVING COUNT(*) > 1) AS twice) "
             "FROM studies_rating WHERE study_id = %(s)s")
    url = env["DATABASE_URL"]
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(url) as connection:
            return connection.execute(query, {"s": study_id}).fetchone()
    import sqlite3

    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        return connection.execute(query.replace("%(s)s", "?"), (study_id, study_id)).fetchone()


TABLE_HEADER = ("| scenario | load avg | round trips | round trips/s | p50 / p95 / p99 ms | errors | "
                "acknowledged / stored / duplicated | server CPU per round trip (app + PostgreSQL + workers) |\n"
                "|---|---|---|---|---|---|---|---|")


def report(name, backend, annotators, think, result, stored, duplicates) -> str:
    """Print the scenario's figures; return them as a row of TABLE_HEADER's table."""
    results, wall, cpu = result["results"], result["wall"], result["cpu"]
    times = sorted(results.times)
    count = len(times)
    cuts = statistics.quantiles(times, n=100) if count >= 2 else [times[0] if times else 0.0] * 99
    server = sum(cpu.values())
    parts = ", ".join(f"{kind} {seconds:.1f} s" for kind, seconds in sorted(cpu.items()))
    print(f"\n== {name}: {backend}, {annotators} annotator(s), think {think[0]:g}-{think[1]:g} s, {wall:.0f} s, "
          f"load average {result['load'][0]:.1f} -> {result['load'][1]:.1f} on {os.cpu_count()} CPUs")
    print(f"round trips: {count} ({count / wall:.1f}/s); p50 {cuts[49]:.1f} ms, p95 {cuts[94]:.1f} ms, "
          f"p99 {cuts[98]:.1f} ms, max {times[-1] if times else 0:.1f} ms")
    print(f"errors: {len(results.errors)}" + (f" (first: {results.errors[0]})" if results.errors else ""))
    print(f"votes: acknowledged {results.acknowledged}, stored {stored}, lost {max(0, results.acknowledged - stored)}"
          f", duplicated {duplicates}")
    print(f"server CPU: {server / max(count, 1) * 1000:.1f} ms per round trip ({parts})")
    print(f"targets: {TARGETS}\npeer: {PEER}")
    per_trip = " + ".join(f"{cpu.get(kind, 0.0) / max(count, 1) * 1000:.1f}" for kind in ("app", "postgres", "worker"))
    return (f"| {name}, {backend}, {annotators} annotator(s), {wall:.0f} s | {result['load'][0]:.1f} → "
            f"{result['load'][1]:.1f} | {count:,} | {count / wall:.1f} | {cuts[49]:,.0f} / {cuts[94]:,.0f} / "
            f"{cuts[98]:,.0f} | {len(results.errors)} | {results.acknowledged:,} / {stored:,} / {duplicates} | "
            f"{server / max(count, 1) * 1000:.1f} ms ({per_trip}) |")


if __name__ == "__main__":
    main()
