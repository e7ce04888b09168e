"""Where the MOS tests find ../shared/data, and the sureal oracle studies read from it (skips when absent)."""

import json
from pathlib import Path

import numpy as np
import pytest

from moslab_science.mos import ScoreMatrix, matrix_from_sureal_raw

SHARED_DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
RAW_RATINGS = SHARED_DATA / "raw-ratings"
ORACLE_STUDIES = ("NFLX_public", "VQEGHD3", "avt_ai_images_quality", "vqeg_frtv_p1_525_line_high")


def require_shared(path: Path) -> Path:
    """Skip the calling test, saying why, when a file of ../shared/data is missing."""
    if not path.exists():
        pytest.skip(f"shared real data is absent ({path.resolve()} not found); it lives outside the repository")
    return path


class Oracle:
    """One sureal-oracle JSON: sureal 0.9.0's outputs on a real study, and the study as a matrix."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.data = json.loads(require_shared(RAW_RATINGS / "sureal-oracle" / f"{name}.json").read_text())
        self.matrix: ScoreMatrix = matrix_from_sureal_raw(
            self.data["raw"], scale=tuple(self.data["scale"]), subject_ids=self.data["subjects"]
        )

    def per_stimulus(self, key: str) -> np.ndarray:
        return _values(self.data[key], self.matrix.stimulus_ids)

    def per_subject(self, key: str) -> np.ndarray:
        return _values(self.data[key], self.matrix.subject_ids)


def _values(mapping: dict, ids: tuple[str, ...]) -> np.ndarray:
    return np.array([np.nan if mapping[i] is None else mapping[i] for i in ids], dtype=float)
