"""The DistributedDataParallel path, run as torchrun runs it: two CPU processes on the gloo backend."""
import json
import subprocess
import sys
import textwrap

import torch

from moslab_science.iqa.distributed import Processes
from tests.conftest import REPO
from tests.modeling.iqa_fixtures import make_study_data

DRIVER = """
import sys
from pathlib import Path
import torch
torch.set_num_threads(1)
from moslab_science.iqa import resolve_config, train_run
root = Path(sys.argv[1])
config = resolve_config("effnet-lite", {"preset": "tiny", "input": {"train_crop": 64}, "train": {"batch_size": 1}})
train_run(config=config, table=root / "table.csv", images=root / "images", out=root / "run", log=lambda m: None)
"""


def test_shards_cover_every_sample_and_give_every_rank_the_same_count():
    order = [4, 0, 3, 1, 2]
    shards = [Processes(rank=rank, world=2, device=torch.device("cpu")).shard(order) for rank in range(2)]
    assert shards == [[4, 3, 2], [0, 1, 4]]
    assert Processes(rank=0, world=1, device=torch.device("cpu")).shard(order) == order


def test_two_gloo_processes_train_and_rank_zero_writes_the_run(tmp_path):
    make_study_data(tmp_path, size=(72, 68))
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(DRIVER))
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(driver),
               str(tmp_path)]
    finished = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-3000:]
    run = tmp_path / "run"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["counts"] == {"train": 6, "val": 3, "test": 3} and summary["test"]["n"] == 3
    state = torch.load(run / "last.pt", weights_only=False)
    # 6 samples over 2 ranks in batches of 1: 3 steps per epoch (one process alone would take 6)
    assert state["scheduler"]["last_epoch"] == 2 * 3
