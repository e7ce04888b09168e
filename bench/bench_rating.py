"""Rating round trip under load: submit, store, next task, with 50 concurrent simulated annotators.

The annotators are spread over `--processes` client processes (default: one each). A process
serves its annotators in turn, each waiting a think time between votes (default 1 s, several times
faster than people rate), like an app server with that many worker processes. Each request goes
through the whole Django stack (URL routing, session auth, DRF validation, the rating_submit
service with its row locks, the cross-check, and session_next) on a throwaway PostgreSQL test
database; the time measured is server time (no network), from the request's start to its answer.
A vote that falls due while its process serves another annotator waits; that wait is reported
apart (one queue per process is a harsher queue than an app server's shared one, where any free
worker takes a request), also added to the round trip. Database connections are handled as in
production: DATABASE_CONN_MAX_AGE (default here 60 s) with health checks, and Django's per-request
connection upkeep runs around each request (the test client skips it).

A real Celery worker (solo pool, the `default` queue, on the same machine) claims each queue's next
block when it runs low, as in production; `--no-worker` leaves every claim to the request that
empties a queue (the peer). Use a real broker, e.g. CELERY_BROKER_URL=redis://127.0.0.1:6379/13.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/moslab CELERY_BROKER_URL=redis://127.0.0.1:6379/13 \
        python bench/bench_rating.py [--annotators 50] [--no-worker]

Peer: the issue's target, p95 under 25 ms of server time, and the same run with --no-worker.
"""

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("MOSLAB_VAR_DIR", "/tmp/moslab-bench-var")
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "60")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import close_old_connections, connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402

from annotation import enrolment_services, protocol_services  # noqa: E402
from studies import services as study_services  # noqa: E402
from studies.models import Membership, Rating, Stimulus, Study  # noqa: E402
from tests.worker import start_worker, stop_worker, wait_for  # noqa: E402

TARGET_P95_MS = 25.0


def build(annotators: int, stimuli: int, raters: int) -> Study:
    User = get_user_model()
    owner = User.objects.create_user("bench-coord", password="x")
    study = study_services.study_create(name="Bench", slug="bench", created_by=owner, raters_per_stimulus=raters)
    Stimulus.objects.bulk_create(
        [
            Stimulus(
                study=study,
                name=f"s{i:05d}.png",
                file=f"bench/s{i}.png",
                sha256=f"{i:064x}",
                size_bytes=1,
                image_format="PNG",
                width=512,
                height=384,
                source_content=f"src{i // 4}",
            )
            for i in range(stimuli)
        ]
    )
    protocol_services.protocol_publish(
        study=study,
        by=owner,
        config={"block_size": 20, "break_seconds": 0, "gold_every": 0},
    )
    Study.objects.filter(pk=study.pk).update(status=Study.Status.OPEN)
    for index in range(annotators):
        user = User.objects.create_user(f"bench-{index:02d}", password="x")
        study_services.membership_add(study=study, user=user, role=Membership.Role.ANNOTATOR)
        enrolment_services.enrolment_accept_instructions(
            enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
    study.refresh_from_db()
    return study


def client_process(study_id: int, user_ids: list[int], think: float, start_at: float, results) -> None:
    """Vote for each of `user_ids` in turn, each after its own think time, until every queue is empty."""
    connections.close_all()  # a forked process opens its own connection
    url = f"/api/annotation/studies/{study_id}/ratings/"
    rng = random.Random(user_ids[0])
    sessions = {}
    for user_id in user_ids:
        client = Client()
        client.force_login(get_user_model().objects.get(pk=user_id))
        state = client.get(f"/api/annotation/studies/{study_id}/queue/").json()
        sessions[user_id] = [client, state, start_at + rng.uniform(0.0, 1.0) * think]
    times, cpu, errors, claims, waits = [], [], [], [], []
    while sessions:
        user_id = min(sessions, key=lambda pk: sessions[pk][2])
        client, state, due = sessions[user_id]
        time.sleep(max(0.0, due - time.time()))
        if not state["tasks"]:
            del sessions[user_id]
            continue
        task = state["tasks"][0]
        body = {
            "task_id": task["id"],
            "client_id": str(uuid.uuid4()),
            "score": 1 + task["id"] % 5,
            "deductions": {"noise": "none"},
            "reason": "bench",
            "response_time_ms": 3000,
            "display": {"viewport": [1920, 1080], "device_pixel_ratio": 1},
        }
        waited = max(0.0, time.time() - due) * 1000  # the vote arrived while this worker served another
        started, cpu_started = time.perf_counter(), time.process_time()
        close_old_connections()  # what request_started does in production
        response = client.post(url, body, content_type="application/json")
        close_old_connections()  # and request_finished
        times.append((time.perf_counter() - started) * 1000)
        waits.append(waited)
        claims.append(len(state["tasks"]) == 1)  # this vote emptied the queue: the request claims the next block
        cpu.append((time.process_time() - cpu_started) * 1000)
        if response.status_code not in (200, 201):
            errors.append(response.content.decode()[:200])
            del sessions[user_id]
            continue
        sessions[user_id] = [client, response.json()["state"], time.time() + rng.uniform(0.5, 1.5) * think]
    connections.close_all()
    results.put((times, cpu, errors, claims, waits))


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU time of a running process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--stimuli", type=int, default=600)
    parser.add_argument("--raters", type=int, default=5)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between one annotator's votes")
    parser.add_argument("--processes", type=int, default=0, help="client processes (default: one per annotator)")
    parser.add_argument("--no-worker", action="store_true", help="no Celery worker: requests claim every block")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run with DATABASE_URL=postgres://... (the bench measures PostgreSQL).")
    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        study = build(args.annotators, args.stimuli, args.raters)
        users = list(
            get_user_model()
            .objects.filter(username__startswith="bench-")
            .exclude(username="bench-coord")
            .values_list("pk", flat=True)
        )
        connections.close_all()
        worker_log = Path(os.environ["MOSLAB_VAR_DIR"]) / "bench-worker.log"
        worker_log.unlink(missing_ok=True)
        worker = None if args.no_worker else start_worker(
            media_root=Path(os.environ["MOSLAB_VAR_DIR"]) / "bench-media", queues="default", log_path=worker_log,
        )
        if worker:
            wait_for(lambda: " ready." in worker_log.read_text(), timeout=60, what="the Celery worker to start")
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        start_at = time.time() + 2.0
        count = min(len(users), args.processes or len(users))
        processes = [
            context.Process(target=client_process, args=(study.pk, users[index::count], args.think, start_at, results))
            for index in range(count)
        ]
        load_before = os.getloadavg()
        for process in processes:
            process.start()
        times: list[float] = []
        cpu: list[float] = []
        errors: list[str] = []
        claims: list[bool] = []
        waits: list[float] = []
        for _ in processes:
            got_times, got_cpu, got_errors, got_claims, got_waits = results.get()
            waits += got_waits
            times += got_times
            cpu += got_cpu
            errors += got_errors
            claims += got_claims
        for process in processes:
            process.join()
        wall = time.time() - start_at
        worker_cpu = process_cpu_seconds(worker.pid) if worker else 0.0
        if worker:
            stop_worker(worker)
        stored = Rating.objects.filter(study=study).count()
        cuts = statistics.quantiles(times, n=100)
        print(
            f"cpus={os.cpu_count()} load average before={load_before[0]:.2f} after={os.getloadavg()[0]:.2f} "
            f"processes={count} think={args.think}s annotators={len(users)} stimuli={args.stimuli} "
            f"raters={args.raters} votes={len(times)} conn_max_age={connection.settings_dict['CONN_MAX_AGE']} "
            f"health_checks={connection.settings_dict['CONN_HEALTH_CHECKS']} "
            f"stored={stored} expected={args.stimuli * args.raters} errors={len(errors)} "
            f"worker={'none' if args.no_worker else f'celery solo, {worker_cpu:.1f} s CPU'}"
        )
        print(f"round trip ms: p50={cuts[49]:.1f} p95={cuts[94]:.1f} p99={cuts[98]:.1f} max={max(times):.1f}")
        for label, claimed in (("claiming a block in the request", True), ("other", False)):
            part = [ms for ms, c in zip(times, claims, strict=True) if c == claimed]
            if len(part) >= 2:
                part_cuts = statistics.quantiles(part, n=100)
                print(f"  votes {label}: {len(part)}, p50={part_cuts[49]:.1f} p95={part_cuts[94]:.1f} ms")
        with_wait = statistics.quantiles([ms + wait for ms, wait in zip(times, waits, strict=True)], n=100)
        print(f"votes due while their process served another annotator: {sum(w > 1 for w in waits)} waited "
              f"over 1 ms (max {max(waits):.1f} ms); round trip with that wait added: p50={with_wait[49]:.1f} "
              f"p95={with_wait[94]:.1f} p99={with_wait[98]:.1f}")
        print(f"app process CPU per vote (client and Django, not PostgreSQL): median={statistics.median(cpu):.1f} ms")
        print(f"throughput: {len(times) / wall:.0f} votes/s over {wall:.1f} s")
        print(f"peer: target p95 < {TARGET_P95_MS:.0f} ms -> {'met' if cuts[94] < TARGET_P95_MS else 'NOT met'}")
        if errors:
            print("first error:", errors[0])
    finally:
        connections.close_all()
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
