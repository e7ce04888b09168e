"""The final results table in the layout of the NTIRE 2024 / VQualA 2025 reports (no Django here)."""
import csv
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from moslab_science.csv_safe import safe_cell

FINAL_COLUMNS = ("rank", "team", "main score", "SRCC", "PLCC", "params (M)", "input size", "GFLOPs", "ensemble",
                 "extra data")
DIGITS = 4


@dataclass(frozen=True)
class FinalRow:
    """One line of the final table: a ranked team, or a baseline (no rank)."""

    rank: int | None
    team: str
    score: float | None
    srcc: float | None
    plcc: float | None
    parameters_m: float | None = None
    input_size: str = ""
    gflops: float | None = None
    ensemble: bool | None = None
    extra_data: bool | None = None
    is_baseline: bool = False


def write_final_table(rows: Iterable[FinalRow], stream: IO[str]) -> None:
    """Ranked teams first, then baselines (team column ``baseline: <label>``); scores to 4 decimals."""
    writer = csv.writer(stream)
    writer.writerow(FINAL_COLUMNS)
    for row in rows:
        team = f"baseline: {row.team}" if row.is_baseline else row.team
        writer.writerow([
            "" if row.rank is None else row.rank, safe_cell(team), _fixed(row.score), _fixed(row.srcc),
            _fixed(row.plcc), _plain(row.parameters_m), safe_cell(row.input_size), _plain(row.gflops),
            _yes_no(row.ensemble), _yes_no(row.extra_data),
        ])


def _fixed(value: float | None) -> str:
    return "" if value is None else f"{value:.{DIGITS}f}"


def _plain(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")
