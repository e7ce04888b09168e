"""Evaluation reports: a prediction file against a MOS table, and results per train/test dataset pair.

Cross-dataset evaluation (train on one dataset, test on another) and zero-shot evaluation (a
pretrained model never trained on the study) are both a prediction file scored against the test
dataset's MOS table; ``pair_rows`` lays many such results out by (train, test) pair, with
``ZERO_SHOT`` as the train name of zero-shot results.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from moslab_science.metrics.evaluation import Evaluation, evaluate_predictions
from moslab_science.metrics.groups import GroupBreakdown, evaluate_groups
from moslab_science.metrics.tables import join_predictions, numbers_by_name, read_rows

ZERO_SHOT = "(zero-shot)"
SUMMARY_FIGURES = ("srcc", "krcc", "plcc", "plcc_logistic4", "rmse_logistic4", "ntire2024", "vquala2025")


@dataclass(frozen=True)
class TableReport:
    predictions_file: str
    table_file: str
    selection: dict[str, str | None]
    overall: Evaluation
    groups: GroupBreakdown | None

    def as_dict(self) -> dict[str, object]:
        return {
            "predictions_file": self.predictions_file,
            "table_file": self.table_file,
            "selection": self.selection,
            "overall": self.overall.as_dict(),
            "groups": self.groups.as_dict() if self.groups else None,
        }


def evaluate_table(
    predictions_path: str | Path,
    table_path: str | Path,
    *,
    name_column: str = "image",
    score_column: str = "score",
    mos_column: str = "mos",
    group_by: str | None = None,
    split_column: str | None = None,
    part: str | None = None,
    **options,
) -> TableReport:
    """Every metric of a prediction CSV against a MOS table CSV, overall and per ``group_by`` value."""
    prediction_rows = read_rows(predictions_path, required=(name_column, score_column))
    predictions = numbers_by_name(
        prediction_rows, name_column=name_column, value_column=score_column, file_label="predictions"
    )
    table_rows = read_rows(table_path, required=(name_column, mos_column))
    joined = join_predictions(
        predictions,
        table_rows,
        name_column=name_column,
        mos_column=mos_column,
        group_by=group_by,
        split_column=split_column,
        part=part,
    )
    overall = evaluate_predictions(joined.predictions, joined.mos, **options)
    groups = None
    if joined.groups is not None:
        groups = evaluate_groups(joined.predictions, joined.mos, joined.groups, column=group_by, **options)
    return TableReport(
        predictions_file=Path(predictions_path).name,
        table_file=Path(table_path).name,
        selection={"split_column": split_column, "part": part, "group_by": group_by},
        overall=overall,
        groups=groups,
    )


def pair_rows(
    results: Mapping[tuple[str, str], Evaluation], *, figures: Sequence[str] = SUMMARY_FIGURES
) -> list[dict[str, object]]:
    """One row per (train dataset, test dataset) pair, sorted, with ``n`` and the chosen figures."""
    return [
        {"train": train, "test": test, "n": evaluation.n, **{name: evaluation.value(name) for name in figures}}
        for (train, test), evaluation in sorted(results.items())
    ]


def format_rows(rows: Sequence[Mapping[str, object]]) -> str:
    """A plain-text table of rows sharing their keys; floats with 4 decimals."""
    if not rows:
        return "(no rows)"
    columns = list(rows[0])
    cells = [[f"{row[c]:.4f}" if isinstance(row[c], float) else str(row[c]) for c in columns] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
    padded = (
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [columns, *cells]
    )
    return "\n".join(padded)
