"""Reading a CSV of training, qualification and gold images (plain Python, no Django).

Columns: `file` (an image name of the study), `kind` (training, qualification or gold),
`reference_score`, optional `tolerance` (default 1) and `explanation` (shown after a training vote).
"""
import csv
import io
import math
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
    rows, problems, seen = [], [], set()
    for line, record in enumerate(reader, start=2):
        name, kind = (record.get("file") or "").strip(), (record.get("kind") or "").strip().lower()
        if kind not in KINDS:
            problems.append(f"line {line}: kind {kind!r} must be one of {', '.join(KINDS)}")
            continue
        if (name, kind) in seen:
            problems.append(f"line {line}: {name} is listed twice as a {kind} image")
            continue
        seen.add((name, kind))
        try:
            score = float(record["reference_score"])
            tolerance = float(record.get("tolerance") or 1)
        except ValueError:
            problems.append(f"line {line}: reference_score and tolerance must be numbers")
            continue
        if not (math.isfinite(score) and scale[0] <= score <= scale[1]):
            problems.append(f"line {line}: reference_score {score:g} is off the scale {scale[0]:g}-{scale[1]:g}")
        elif not (math.isfinite(tolerance) and tolerance >= 0):
            problems.append(f"line {line}: tolerance must be 0 or more")
        else:
            rows.append(QualityRow(name, kind, score, tolerance, (record.get("explanation") or "").strip()))
    return rows, problems
