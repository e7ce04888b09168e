"""Reading training, qualification and gold images from a CSV or from rows (plain Python, no Django).

Columns (or keys): `file` (an image name of the study), `kind` (training, qualification or gold),
`reference_score`, optional `tolerance` (default 1) and `explanation` (shown after a training vote).
"""
import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

KINDS = ("training", "qualification", "gold")
COLUMNS = {"file", "kind", "reference_score", "tolerance", "explanation"}


@dataclass(frozen=True)
class QualityRow:
    file: str
    kind: str
    reference_score: float
    tolerance: float
    explanation: str


def read_quality_rows(text: str, *, scale: tuple[float, float]) -> tuple[list[QualityRow], list[str]]:
    """The rows of the CSV and every problem found in it (line numbers as in the file)."""
    reader = csv.DictReader(io.StringIO(text))
    header = set(reader.fieldnames or [])
    if not {"file", "kind", "reference_score"} <= header or header - COLUMNS:
        return [], [f"the columns must be file, kind, reference_score and optionally tolerance, explanation; "
                    f"found {', '.join(reader.fieldnames or []) or 'none'}"]
    return check_quality_records(((f"line {line}", record) for line, record in enumerate(reader, start=2)),
                                 scale=scale)


def check_quality_records(records: Iterable[tuple[str, Mapping]], *,
                          scale: tuple[float, float]) -> tuple[list[QualityRow], list[str]]:
    """The rows of `(where, record)` pairs (a CSV line, an item of a list) and every problem found in them."""
    rows, problems, seen = [], [], set()
    for where, record in records:
        name, kind = str(record.get("file") or "").strip(), str(record.get("kind") or "").strip().lower()
        if kind not in KINDS:
            problems.append(f"{where}: kind {kind[:40]!r} must be one of {', '.join(KINDS)}")
            continue
        if (name, kind) in seen:
            problems.append(f"{where}: {name[:200]} is listed twice as a {kind} image")
            continue
        seen.add((name, kind))
        try:
            score = float(record.get("reference_score"))
            tolerance = float(record.get("tolerance") or 1)
        except (TypeError, ValueError):
            problems.append(f"{where}: reference_score and tolerance must be numbers")
            continue
        if not (math.isfinite(score) and scale[0] <= score <= scale[1]):
            problems.append(f"{where}: reference_score {score:g} is off the scale {scale[0]:g}-{scale[1]:g}")
        elif not (math.isfinite(tolerance) and tolerance >= 0):
            problems.append(f"{where}: tolerance must be 0 or more")
        else:
            rows.append(QualityRow(name, kind, score, tolerance, str(record.get("explanation") or "").strip()))
    return rows, problems
