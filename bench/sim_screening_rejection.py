"""How many ordinary raters each screening rejects when no rater is an outlier (docs/mos.md, "Screening rejects
ordinary raters").

Every simulated panel is drawn from one population: vote = round(quality + bias + noise) clipped to 1..5, with
quality uniform over [1.5, 4.5] per stimulus, each rater's bias ~ N(0, BIAS_SD) and noise sd uniform over
NOISE_SD. No outlier is planted, so every rejection is of an ordinary rater. Prints the share of raters each
method rejects, per mode, as a mean over the panels with its 2.5-97.5 % range across panels.

    python bench/sim_screening_rejection.py [--panels 200] [--stimuli 60] [--raters 24] [--seed 0] [--noise-sd 0.5 1.0]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from moslab_science.mos import ScoreMatrix, compute_mos  # noqa: E402

BIAS_SD = 0.3
NOISE_SD = (0.5, 1.0)  # default range; --noise-sd LOW HIGH changes it (equal values: identical raters)
METHODS = {"correlation": {}, "correlation 0.75": {"threshold": 0.75}, "bt500": {}, "p913": {}}


def panel(rng: np.random.Generator, stimuli: int, raters: int, noise_sd: tuple[float, float]) -> ScoreMatrix:
    quality = rng.uniform(1.5, 4.5, stimuli)[:, None]
    bias = rng.normal(0, BIAS_SD, raters)[None, :]
    noise = rng.uniform(*noise_sd, raters)[None, :] * rng.standard_normal((stimuli, raters))
    votes = np.clip(np.rint(quality + bias + noise), 1, 5)
    return ScoreMatrix(scores=votes, stimulus_ids=[f"s{i}" for i in range(stimuli)],
                       subject_ids=[f"r{j}" for j in range(raters)], scale=(1, 5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--panels", type=int, default=200)
    parser.add_argument("--stimuli", type=int, default=60)
    parser.add_argument("--raters", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--noise-sd", type=float, nargs=2, default=NOISE_SD, metavar=("LOW", "HIGH"))
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    shares = {(method, mode): [] for method in METHODS for mode in ("default", "sureal")}
    for _ in range(args.panels):
        matrix = panel(rng, args.stimuli, args.raters, tuple(args.noise_sd))
        for method, mode in shares:
            result = compute_mos(matrix, method.split()[0], mode, **METHODS[method])
            shares[method, mode].append(float(np.mean(result.rejected)))
    print(f"{args.panels} panels of {args.stimuli} stimuli x {args.raters} ordinary raters (noise sd "
          f"{args.noise_sd[0]}-{args.noise_sd[1]}, bias sd {BIAS_SD}), seed {args.seed}")
    for (method, mode), values in shares.items():
        low, high = np.percentile(values, [2.5, 97.5])
        print(f"{method:17s} {mode:8s} rejects {np.mean(values):6.1%} of raters (panels: {low:.1%} to {high:.1%})")


if __name__ == "__main__":
    main()
