"""bench/gpu_check.py on CPU with the tiny configurations, as CI runs it, so the GPU check cannot rot."""
import json
import subprocess
import sys

from moslab_science.iqa.registry import ARCHITECTURES
from moslab_science.vqa.registry import ARCHITECTURES as VIDEO_ARCHITECTURES
from tests.conftest import REPO

NEEDS_IMAGE_FILES = {"ma-agiqa"}  # its LMM features are computed from image files, not a random batch


def test_gpu_check_runs_every_architecture_one_step_on_cpu(tmp_path):
    out = tmp_path / "report.json"
    completed = subprocess.run([sys.executable, str(REPO / "bench" / "gpu_check.py"), "--device", "cpu", "--steps",
                                "1", "--json", str(out)], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = json.loads(out.read_text())
    assert (report["preset"], report["amp"], report["ddp"]) == ("tiny", "float32", {})
    assert report["device"].startswith("CPU")
    assert set(report["single"]) == set(ARCHITECTURES) | set(VIDEO_ARCHITECTURES)
    skipped = {name for name, row in report["single"].items() if "skipped" in row}
    assert skipped == NEEDS_IMAGE_FILES, {name: report["single"][name] for name in skipped}
    assert all(row["images_per_s"] > 0 and row["timed_steps"] == 1 for name, row in report["single"].items()
               if name not in skipped)
    assert "skipped" in report["pyiqa"] or set(report["pyiqa"]) == {"effnet-lite", "hyperiqa"}
