"""The core of ``manage.py mos compute``: a ratings CSV in, the result as a JSON-ready dict out."""

import json
from pathlib import Path

from moslab_science.mos.engine import compute_mos
from moslab_science.mos.readers import read_long_csv


def compute(
    input_csv: str | Path,
    method: str,
    mode: str,
    scale_lo: float,
    scale_hi: float,
    *,
    zscore_rescale: str | None = None,
    dimension: str | None = None,
) -> dict[str, object]:
    """Read a long-format CSV (``stimulus,subject,score[,repetition][,dimension]``) and run one method
    on one rating dimension's votes (`dimension`; needed when the CSV's dimension column holds several).

    Returns ``{"method", "mode", "parameters", "scale", "warnings", "stimuli": {id: {"mos",
    "std", "ci95", "n"}}, "subjects": {id: {"rejected", "P", "Q", "bias", "inconsistency",
    "reason"}}}`` with null for what the method does not produce. Raises ``MosInputError``
    with a message naming what to fix.
    """
    matrix = read_long_csv(input_csv, scale=(scale_lo, scale_hi), dimension=dimension)
    params = {"rescale": zscore_rescale} if zscore_rescale is not None else {}
    return compute_mos(matrix, method, mode, **params).as_dict()  # type: ignore[arg-type]


def write_json(result: dict[str, object], path: str | Path) -> None:
    """Write the result as strict JSON (NaN never appears: undefined values are null)."""
    Path(path).write_text(json.dumps(result, indent=2, allow_nan=False) + "\n", encoding="utf-8")
