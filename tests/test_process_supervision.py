"""bin/lib/processes.sh, which bin/serve and bin/demo use: Ctrl-C (SIGINT) or SIGTERM stops every process they
started, children included; a process that exits by itself stops the rest."""
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = """
set -euo pipefail
source bin/lib/processes.sh
start stubborn "$LOGS/stubborn.log" bash -c 'trap "" TERM; sleep 300 & wait'
start parent "$LOGS/parent.log" bash -c 'sleep 300 & sleep 300 & wait'
start short "$LOGS/short.log" sleep "$SHORT"
supervise
"""


def supervised(tmp_path, *, short_seconds: int) -> tuple[subprocess.Popen, list[int]]:
    env = {**os.environ, "LOGS": str(tmp_path), "SHORT": str(short_seconds), "MOSLAB_STOP_SECONDS": "2"}
    process = subprocess.Popen(["bash", "-c", SCRIPT], cwd=REPO, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines = [process.stdout.readline() for _ in range(3)]
    groups = [int(pid) for line in lines for pid in re.findall(r"\(pid (\d+)\)", line)]
    assert len(groups) == 3, lines
    time.sleep(0.5)  # the children of `parent` and `stubborn` are running
    return process, groups


def members(group: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2]) == group:
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return found


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_every_process_and_its_children(tmp_path, stop_signal):
    process, groups = supervised(tmp_path, short_seconds=300)
    assert all(members(group) for group in groups)
    process.send_signal(stop_signal)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "still running after 2 s, killed" in output, "the process ignoring SIGTERM was killed"
    assert [group for group in groups if members(group)] == []


def test_a_process_that_exits_stops_the_others(tmp_path):
    process, groups = supervised(tmp_path, short_seconds=1)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 1
    assert "short (pid" in output and "exited; stopping the rest" in output
    assert [group for group in groups if members(group)] == []
