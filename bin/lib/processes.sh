# Sourced by bin/serve and bin/demo: start long-running processes, stop them all on Ctrl-C, SIGTERM or
# when one of them dies. Each process runs in its own session, so stopping it also stops its children
# (gunicorn's and Celery's worker processes, runserver's reloader).

STARTED_PIDS=()
STARTED_NAMES=()
STOP_SECONDS="${MOSLAB_STOP_SECONDS:-30}"

# start NAME LOGFILE COMMAND...: run COMMAND in the background, its output appended to LOGFILE.
start() {
  local name=$1 log=$2
  shift 2
  setsid "$@" >>"$log" 2>&1 </dev/null &
  STARTED_PIDS+=("$!")
  STARTED_NAMES+=("$name")
  echo "started $name (pid $!), log: $log"
}

# stop_all: SIGTERM to every process group, then SIGKILL to whatever still runs after STOP_SECONDS
# (a job killed that way is resumed or failed by the job runtime's lease).
stop_all() {
  trap - INT TERM
  local pid waited=0
  for pid in "${STARTED_PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  while [ "$waited" -lt "$((STOP_SECONDS * 10))" ]; do
    local alive=0
    for pid in "${STARTED_PIDS[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
    waited=$((waited + 1))
  done
  for pid in "${STARTED_PIDS[@]}"; do
    if kill -0 -- "-$pid" 2>/dev/null; then
      echo "still running after ${STOP_SECONDS} s, killed: pid $pid" >&2
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
  done
  wait 2>/dev/null || true
  echo "stopped: ${STARTED_NAMES[*]}"
}

# supervise: wait until a signal arrives (exit 0) or a process exits by itself (exit 1, naming it).
supervise() {
  trap 'echo; echo "stopping..."; stop_all; exit 0' INT TERM
  local index
  wait -n "${STARTED_PIDS[@]}" || true
  for index in "${!STARTED_PIDS[@]}"; do
    if ! kill -0 "${STARTED_PIDS[$index]}" 2>/dev/null; then
      echo "${STARTED_NAMES[$index]} (pid ${STARTED_PIDS[$index]}) exited; stopping the rest" >&2
    fi
  done
  stop_all
  exit 1
}

# start_workers VENV LOG_DIR VAR_DIR: the `default` and `gpu` Celery workers, and Celery beat when the
# app has periodic tasks (docs/architecture.md, "Celery").
start_workers() {
  local venv=$1 logs=$2 var=$3
  start worker-default "$logs/worker-default.log" "$venv/bin/celery" -A config worker -Q default \
    -c "${MOSLAB_DEFAULT_CONCURRENCY:-2}" -n "default@%h" --loglevel INFO
  start worker-gpu "$logs/worker-gpu.log" "$venv/bin/celery" -A config worker -Q gpu -c 1 \
    --prefetch-multiplier 1 -n "gpu@%h" --loglevel INFO
  if "$venv/bin/python" -c "import sys; from config.celery import app; sys.exit(0 if app.conf.beat_schedule else 1)"
  then
    start beat "$logs/beat.log" "$venv/bin/celery" -A config beat --loglevel INFO --schedule "$var/celerybeat-schedule"
  fi
}
