"""Run one sureal 0.9.0 model on a saved score array; executed in the separate sureal venv.

Usage: python sureal_runner.py SCORES.npy METHOD OUT.npz  (METHOD: bt500, zscore, mle)

The array reaches sureal through a RawDatasetReader subclass, so the timing covers sureal's
modelling, not the building of its dataset objects. Writes the outputs and the wall time.
"""

import contextlib
import io
import sys
import time
from types import SimpleNamespace

import numpy as np
from sureal.dataset_reader import RawDatasetReader
from sureal.subjective_model import (
    MaximumLikelihoodEstimationModelContentOblivious,
    SubjrejMosModel,
    ZscoringMosModel,
)

MODELS = {
    "bt500": SubjrejMosModel,
    "zscore": ZscoringMosModel,
    "mle": MaximumLikelihoodEstimationModelContentOblivious,
}


def main(scores_path: str, method: str, out_path: str) -> None:
    scores = np.load(scores_path)

    class ArrayReader(RawDatasetReader):
        @property
        def opinion_score_3darray(self) -> np.ndarray:
            return scores.copy()

    dataset = SimpleNamespace(
        dataset_name="bench",
        ref_videos=[{"content_id": 0, "path": "ref"}],
        dis_videos=[{"content_id": 0, "asset_id": i, "os": {}, "path": str(i)} for i in range(scores.shape[0])],
        yuv_fmt="yuv420p",
        width=1,
        height=1,
    )
    model = MODELS[method](ArrayReader(dataset))
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # sureal prints every MLE iteration
        result = model.run_modeling()
    seconds = time.perf_counter() - start
    outputs = {"seconds": seconds, "mos": np.array(result["quality_scores"])}
    if method != "mle":
        outputs["ci95"] = np.array(result["quality_scores_ci95"][0])
    if method == "bt500":
        outputs["rejected"] = np.array(result["observer_rejected"], dtype=bool)
    if method == "mle":
        outputs["bias"] = np.array(result["observer_bias"])
        outputs["inconsistency"] = np.array(result["observer_inconsistency"])
        outputs["iterations"] = np.array(result["num_iter"])
    np.savez(out_path, **outputs)


if __name__ == "__main__":
    main(*sys.argv[1:4])
