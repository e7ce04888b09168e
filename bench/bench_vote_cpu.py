"""CPU per rating round trip inside one process, without HTTP: what bench_http.py's server side spends, measured
steadily on a busy machine (CPU time, not latency).

Seeds bench_http.py's study on a fresh PostgreSQL bench database (4 annotators, 600 images), then calls the
production WSGI application directly for N round trips (the vote POST and the GET of the image the answer
names), as gunicorn would but with no socket and no sendfile. Prints the app's CPU per round trip (per request
kind), the CPU of this process's PostgreSQL backend (from /proc), and the SQL statements of one round trip.

    python bench/bench_vote_cpu.py [ROUND_TRIPS]   (bench_http.py's BENCH_* variables; not while it runs: same database)
To compare two checkouts in one sitting, run each one's copy of this file in turn (it imports its own tree).
"""
import io
import json
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
ANNOTATORS, STIMULI, RATERS, FILES = 4, 600, 5, 10


class SendFile:
    """gunicorn's wsgi.file_wrapper sends a file with sendfile(2): its bytes never pass through Python."""

    def __init__(self, handle, block_size=None):
        self.handle = handle

    def __iter__(self):
        return iter(())

    def close(self):
        self.handle.close()


def main(round_trips: int) -> None:
    import bench_http

    var = Path("/tmp/moslab-bench-vote-cpu")
    shutil.rmtree(var, ignore_errors=True)
    env = bench_http.stack_environment("postgres", var, port=8000)
    os.environ.update(env)
    bench_http.fresh_database(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env, check=True)
    seeded = subprocess.run([sys.executable, str(REPO / "bench" / "bench_http_seed.py"), str(ANNOTATORS), str(STIMULI),
                             str(RATERS), str(FILES)], cwd=REPO, env=env, check=True, stdout=subprocess.PIPE, text=True)
    study_id, sessions = json.loads(seeded.stdout.strip().splitlines()[-1])
    from django.db import connection

    from config.wsgi import application

    client = Client(application, study_id)
    states = {session["sessionid"]: client.queue(session) for session in sessions}
    rng = random.Random(0)
    for index in range(8):  # warm: imports, connections
        client.round_trip(sessions[index % ANNOTATORS], states, rng)
    statements = []  # each request starts with an empty query log, so count at the cursor instead
    with connection.execute_wrapper(lambda execute, sql, *args: statements.append(sql) or execute(sql, *args)):
        client.round_trip(sessions[0], states, rng)
    client.spent.clear()
    backend_before, app_before = backend_cpu(connection), time.process_time()
    for index in range(round_trips):
        client.round_trip(sessions[index % ANNOTATORS], states, rng)
    backend, app = backend_cpu(connection) - backend_before, time.process_time() - app_before
    kinds = ", ".join(f"{method} {seconds / round_trips * 1000:.2f} ms" for method, seconds in client.spent.items())
    print(f"{REPO}: {round_trips} round trips; app CPU {app / round_trips * 1000:.2f} ms per round trip ({kinds}); "
          f"PostgreSQL backend {backend / round_trips * 1000:.2f} ms; {len(statements)} SQL statements "
          f"in one round trip; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def backend_cpu(connection) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Client:
    def __init__(self, application, study_id: int):
        self.application, self.study_id = application, study_id
        self.api = f"/api/annotation/studies/{study_id}/"
        self.spent: dict[str, float] = {}

    def call(self, method: str, path: str, session: dict, body: bytes = b"") -> tuple[int, bytes]:
        started = time.process_time()
        environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
                   "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1:8000", "REMOTE_ADDR": "127.0.0.1",
                   "HTTP_COOKIE": f"sessionid={session['sessionid']}; csrftoken={session['csrftoken']}",
                   "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)), "wsgi.url_scheme": "http",
                   "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.multithread": False,
                   "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.file_wrapper": SendFile}
        if method == "POST":
            environ.update(CONTENT_TYPE="application/json", HTTP_X_CSRFTOKEN=session["csrftoken"],
                           HTTP_REFERER=f"http://127.0.0.1:8000/studies/{self.study_id}/rate/")
        status = []
        answer = self.application(environ, lambda line, headers, *_: status.append(line))
        data = b"".join(answer)
        answer.close()
        self.spent[method] = self.spent.get(method, 0.0) + time.process_time() - started
        return int(status[0][:3]), data

    def queue(self, session: dict) -> dict:
        status, body = self.call("GET", f"{self.api}queue/", session)
        if status != 200:
            sys.exit(f"queue answered {status}: {body[:300]!r}")
        return json.loads(body)

    def round_trip(self, session: dict, states: dict, rng: random.Random) -> None:
        """What bench_http.py's annotator does per vote: POST it, GET the image the answer says to prefetch."""
        task = states[session["sessionid"]]["tasks"][0]
        vote = {"task_id": task["id"], "client_id": str(uuid.uuid4()), "score": rng.randint(1, 5), "deductions": {},
                "reason": "bench vote", "response_time_ms": 2500,
                "display": {"viewport": [1920, 1080], "device_pixel_ratio": 1, "fits": True}}
        status, body = self.call("POST", f"{self.api}ratings/", session, json.dumps(vote).encode())
        if status not in (200, 201):
            sys.exit(f"vote answered {status}: {body[:300]!r}")
        state = states[session["sessionid"]] = json.loads(body)["state"]
        for item in state["tasks"][1:2] or state["tasks"][:1]:
            status, body = self.call("GET", item["image_url"], session)
            if status != 200:
                sys.exit(f"image answered {status}: {body[:300]!r}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
