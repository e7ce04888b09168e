"""The metrics module and the classical baselines are plain Python: importable without Django or torch."""

import subprocess
import sys

from tests.conftest import REPO


def test_metrics_and_classical_baselines_import_neither_django_nor_torch():
    code = (
        "import sys, moslab_science.metrics, moslab_science.classical.batch; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'django', 'torch'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
