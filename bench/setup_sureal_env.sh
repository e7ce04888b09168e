#!/usr/bin/env bash
# Create the separate virtual environment holding sureal 0.9.0 for bench/bench_mos.py.
# sureal is a benchmark peer only: it is never a moslab dependency.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SUREAL_VENV:-$REPO_ROOT/.bench-venv}"
PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "sureal==0.9.0"
"$VENV/bin/python" -c "import sureal, numpy; print('sureal', sureal.__version__, 'numpy', numpy.__version__, 'in', '$VENV')"
