"""A quick probe of the embedded default under load: concurrent annotators voting against SQLite.

Reuses bench_rating.py's study builder. The annotators are spread over `--processes` app-server
processes (forked, each with its own database connection, like gunicorn's workers); each votes through
the whole Django stack (test client, session auth, the vote API) with a think time, while a real
Celery worker on the filesystem broker claims blocks ahead of need. Unlike bench_rating.py a failed
request is counted, not raised, and retried as the page does: the figures are the errors ("database
is locked" answers 500) and the votes stored, each exactly once.

    python bench/probe_sqlite_votes.py [--annotators 50] [--processes 4] [--stimuli 200] [--think 1.0]
"""
import argparse
import multiprocessing
import os
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"):
    os.environ.pop(name, None)  # the embedded default
os.environ.setdefault("MOSLAB_VAR_DIR", "/tmp/moslab-probe-sqlite")

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import close_old_connections, connection, connections  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402

from bench.bench_rating import build  # noqa: E402  (sets Django up)
from studies.models import Rating  # noqa: E402
from tests.worker import start_worker, stop_worker, wait_for  # noqa: E402


def app_process(study_id: int, user_ids: list[int], think: float, start_at: float, results) -> None:
    """One app-server process (one database connection) serving its annotators' requests in turn."""
    rng = random.Random(user_ids[0])
    url = f"/api/annotation/studies/{study_id}/ratings/"
    times, errors, sessions = [], [], {}
    for user_id in user_ids:
        client = Client(raise_request_exception=False)
        client.force_login(get_user_model().objects.get(pk=user_id))
        sessions[user_id] = [client, None, start_at + rng.uniform(0.0, 1.0) * think, 0]
    while sessions:
        user_id = min(sessions, key=lambda pk: sessions[pk][2])
        client, state, due, tries = sessions[user_id]
        time.sleep(max(0.0, due - time.time()))
        started = time.perf_counter()
        close_old_connections()  # what request_started does in production
        if state is None:
            response = client.get(f"/api/annotation/studies/{study_id}/queue/")
        else:
            response = client.post(url, state, content_type="application/json")
        close_old_connections()  # and request_finished
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code not in (200, 201):
            errors.append(f"{response.status_code}: {response.content.decode()[:120]}")
            if tries >= 4:
                del sessions[user_id]
            else:  # the page retries the same vote (same client id) after a moment
                sessions[user_id] = [client, state, time.time() + 1.0, tries + 1]
            continue
        answer = response.json()
        tasks = (answer["state"] if state is not None else answer)["tasks"]
        if not tasks:
            del sessions[user_id]
            continue
        body = {"task_id": tasks[0]["id"], "client_id": str(uuid.uuid4()), "score": 1 + tasks[0]["id"] % 5,
                "deductions": {"noise": "none"}, "reason": "probe", "response_time_ms": 3000,
                "display": {"viewport": [1920, 1080], "device_pixel_ratio": 1}}
        sessions[user_id] = [client, body, time.time() + rng.uniform(0.5, 1.5) * think, 0]
    connections.close_all()
    results.put((times, errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--stimuli", type=int, default=200)
    parser.add_argument("--raters", type=int, default=5)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--processes", type=int, default=4, help="app-server processes (database connections)")
    args = parser.parse_args()
    assert connection.vendor == "sqlite"
    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        study = build(args.annotators, args.stimuli, args.raters)
        users = list(get_user_model().objects.filter(username__startswith="bench-").exclude(
            username="bench-coord").values_list("pk", flat=True))
        connections.close_all()
        log = Path(os.environ["MOSLAB_VAR_DIR"]) / "probe-worker.log"
        log.unlink(missing_ok=True)
        worker = start_worker(media_root=Path(os.environ["MOSLAB_VAR_DIR"]) / "media", queues="default",
                              log_path=log)
        wait_for(lambda: " ready." in log.read_text(), timeout=60, what="the Celery worker to start")
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        start_at = time.time() + 2.0
        count = min(len(users), args.processes)
        processes = [context.Process(target=app_process, args=(study.pk, users[index::count], args.think,
                                                               start_at, results)) for index in range(count)]
        for process in processes:
            process.start()
        times, errors = [], []
        for _ in processes:
            got_times, got_errors = results.get()
            times += got_times
            errors += got_errors
        for process in processes:
            process.join()
        stop_worker(worker)
        stored = Rating.objects.filter(study=study).count()
        twice = Rating.objects.filter(study=study).values("rater", "client_id").annotate(n=Count("pk")).filter(
            n__gt=1).count()
        cuts = statistics.quantiles(times, n=100)
        kinds = Counter(error.split(":")[0] + (" database is locked" if "locked" in error else "") for error in errors)
        print(f"SQLite, {len(users)} annotators over {count} app processes, think {args.think} s, "
              f"cpus={os.cpu_count()} load={os.getloadavg()[0]:.2f}: requests={len(times)} errors={len(errors)} "
              f"({100 * len(errors) / max(1, len(times)):.1f} %) {dict(kinds)} stored={stored} "
              f"expected={args.stimuli * args.raters} stored twice={twice}")
        print(f"vote round trip ms: p50={cuts[49]:.1f} p95={cuts[94]:.1f} p99={cuts[98]:.1f}")
        if errors:
            print("first error:", errors[0])
    finally:
        connections.close_all()
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
