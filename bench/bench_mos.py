"""MOS engine vs sureal 0.9.0: BT.500 + MOS + CI, z-score MOS and the MLE subject model.

Both run on the same saved arrays: the four real studies of ../shared/data (when present)
and seeded simulated studies (subject bias and inconsistency, 5% missing votes, integer
ACR votes). moslab runs here; sureal runs in its own venv (bench/setup_sureal_env.sh)
through bench/sureal_runner.py. Prints each time, the ratio and whether results agree.

    python bench/bench_mos.py [--sizes 20000x21,100000x30] [--sureal-timeout 600] [--skip-sureal-mle-above 1000000]
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from moslab_science.mos import ScoreMatrix, compute_mos, matrix_from_sureal_raw  # noqa: E402

ORACLE = REPO.parent / "shared" / "data" / "raw-ratings" / "sureal-oracle"
SUREAL_PYTHON = REPO / ".bench-venv" / "bin" / "python"
RUNNER = Path(__file__).resolve().parent / "sureal_runner.py"
STEPS = {"bt500": "BT.500 + MOS + CI", "zscore": "z-score MOS", "mle": "MLE subject model"}
TOLERANCE = {"bt500": 1e-9, "zscore": 1e-9, "mle": 1e-6}


def simulated(n_stimuli: int, n_subjects: int, seed: int = 20261123) -> ScoreMatrix:
    """Integer 1..5 votes: quality + subject bias + subject-scaled noise, 5% missing."""
    rng = np.random.default_rng(seed)
    quality = rng.uniform(1.5, 4.5, n_stimuli)
    bias = rng.normal(0.0, 0.3, n_subjects)
    inconsistency = rng.uniform(0.4, 1.0, n_subjects)
    noise = rng.normal(0.0, 1.0, (n_stimuli, n_subjects)) * inconsistency
    scores = np.clip(np.round(quality[:, None] + bias[None, :] + noise), 1, 5)
    scores[rng.random(scores.shape) < 0.05] = np.nan
    ids = [f"e{i}" for i in range(n_stimuli)], [f"s{i}" for i in range(n_subjects)]
    return ScoreMatrix(scores, *ids, (1, 5))


def datasets(sizes: list[tuple[int, int]]) -> list[tuple[str, ScoreMatrix]]:
    found = []
    if ORACLE.exists():
        import json

        for path in sorted(ORACLE.glob("*.json")):
            data = json.loads(path.read_text())
            found.append(
                (
                    path.stem,
                    matrix_from_sureal_raw(data["raw"], scale=tuple(data["scale"]), subject_ids=data["subjects"]),
                )
            )
    return found + [(f"simulated {e}x{s}", simulated(e, s)) for e, s in sizes]


def moslab(matrix: ScoreMatrix, method: str, repeats: int) -> tuple[float, object]:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = compute_mos(matrix, method, "sureal")
        best = min(best, time.perf_counter() - start)
    return best, result


def sureal(scores_path: Path, method: str, timeout: float) -> dict[str, np.ndarray] | None:
    out = scores_path.with_suffix(f".{method}.npz")
    try:
        subprocess.run(
            [str(SUREAL_PYTHON), str(RUNNER), str(scores_path), method, str(out)],
            check=True,
            timeout=timeout,
            capture_output=True,
        )
    except subprocess.TimeoutExpired:
        return None
    return dict(np.load(out))


def agreement(method: str, ours, theirs: dict[str, np.ndarray]) -> str:
    gaps = {"MOS": np.nanmax(np.abs(ours.mos - theirs["mos"]))}
    if method == "mle":
        gaps["bias"] = np.nanmax(np.abs(ours.bias - theirs["bias"]))
        gaps["inconsistency"] = np.nanmax(np.abs(ours.inconsistency - theirs["inconsistency"]))
    else:
        gaps["CI"] = np.nanmax(np.abs(ours.ci95 - theirs["ci95"]))
    equal = all(g <= TOLERANCE[method] for g in gaps.values())
    text = ", ".join(f"max|d{k}| {v:.1e}" for k, v in gaps.items())
    if method == "bt500":
        same = np.array_equal(ours.rejected, theirs["rejected"])
        equal = equal and same
        text = f"rejected {'same' if same else 'DIFFERENT'} ({int(ours.rejected.sum())}), " + text
    return f"{'equal' if equal else 'NOT EQUAL'}: {text}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20000x21,100000x30")
    parser.add_argument("--repeats", type=int, default=3, help="moslab runs per step; the best is kept")
    parser.add_argument("--sureal-timeout", type=float, default=600.0, help="seconds per sureal run")
    parser.add_argument(
        "--skip-sureal-mle-above",
        type=int,
        default=10**12,
        help="skip sureal's MLE on studies with more cells than this",
    )
    args = parser.parse_args()
    if not SUREAL_PYTHON.exists():
        sys.exit(f"{SUREAL_PYTHON} is missing: run bench/setup_sureal_env.sh first.")
    sizes = [tuple(int(v) for v in size.split("x")) for size in args.sizes.split(",") if size]
    print(f"{'study':34} {'step':18} {'moslab s':>9} {'sureal s':>9} {'ratio':>7}  result")
    with tempfile.TemporaryDirectory() as folder:
        for name, matrix in datasets(sizes):
            path = Path(folder) / f"{name.replace(' ', '_')}.npy"
            np.save(path, np.asarray(matrix.scores))
            label = f"{name} ({matrix.n_stimuli}x{matrix.n_subjects})"
            for method, step in STEPS.items():
                ours_s, ours = moslab(matrix, method, args.repeats)
                if method == "mle" and matrix.scores.size > args.skip_sureal_mle_above:
                    theirs = None
                    verdict = "sureal skipped (--skip-sureal-mle-above)"
                else:
                    theirs = sureal(path, method, args.sureal_timeout)
                    timed_out = f"sureal timed out ({args.sureal_timeout:g} s)"
                    verdict = agreement(method, ours, theirs) if theirs else timed_out
                their = (
                    f"{float(theirs['seconds']):9.2f} {float(theirs['seconds']) / ours_s:6.0f}x" if theirs else " " * 17
                )
                print(f"{label:34} {step:18} {ours_s:9.3f} {their}  {verdict}", flush=True)


if __name__ == "__main__":
    main()
