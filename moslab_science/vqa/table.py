"""The video training table: one row per clip with its overall MOS, a MOS per rating dimension, its text
prompt and its part of the split (train, val, test).

Columns are named in the configuration's ``data`` section. A dimension whose column the table lacks, or a
row whose cell for it is empty, takes the row's overall MOS as that branch's target.
"""
import math
from dataclasses import dataclass, field
from pathlib import Path

from moslab_science.iqa.config import PARTS
from moslab_science.metrics.tables import read_rows, row_name
from moslab_science.vqa.config import DIMENSIONS
from moslab_science.vqa.errors import VqaError


@dataclass(frozen=True)
class VideoItem:
    name: str
    mos: float
    part: str = ""
    prompt: str = ""
    dimensions: dict[str, float] = field(default_factory=dict)  # technical, aesthetic, alignment

    def target(self, branch: str) -> float:
        return self.dimensions.get(branch, self.mos)


def _number(text: str | None) -> float | None:
    try:
        value = float((text or "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_video_table(path: Path, data: dict, *, training: bool = True) -> list[VideoItem]:
    """The rows of `path`, checked: names unique, MOS finite, parts known, train and val present (training)."""
    video, mos_column, split = data["video_column"], data["mos_column"], data["split_column"]
    prompt = data["prompt_column"]
    required = (video, mos_column, split) if training else (video,)
    rows = read_rows(path, required=required)
    header = set(rows[0])
    columns = {dim: column for dim, column in data["dimension_columns"].items() if column and column in header}
    unknown = sorted(set(data["dimension_columns"]) - set(DIMENSIONS))
    problems = [f"data.dimension_columns names {name!r}; the dimensions are {', '.join(DIMENSIONS)}"
                for name in unknown]
    items, seen = [], {}
    for line, row in enumerate(rows, start=2):
        name = row_name(row, video)
        if not name:
            problems.append(f"line {line}: the {video} cell is empty")
            continue
        if name in seen:
            problems.append(f"line {line}: {name} repeats line {seen[name]}")
            continue
        seen[name] = line
        mos = _number(row.get(mos_column)) if mos_column in header else None
        if training and mos is None:
            problems.append(f"line {line}: {mos_column} {row.get(mos_column)!r} is not a finite number")
            continue
        part = (row.get(split) or "").strip() if split in header else ""
        if training and part not in PARTS:
            problems.append(f"line {line}: {split} is {part!r}; use one of {', '.join(PARTS)}")
            continue
        dimensions = {}
        for dim, column in columns.items():
            cell = (row.get(column) or "").strip()
            if cell:
                value = _number(cell)
                if value is None:
                    problems.append(f"line {line}: {column} {cell!r} is not a finite number")
                else:
                    dimensions[dim] = value
        items.append(VideoItem(name=name, mos=mos if mos is not None else math.nan, part=part,
                               prompt=(row.get(prompt) or "").strip() if prompt else "", dimensions=dimensions))
    if training:
        problems += [f"the {split} column has no {part!r} rows; a run needs a {part} part"
                     for part in ("train", "val") if not any(item.part == part for item in items)]
    if problems:
        raise VqaError(f"{Path(path).name} cannot be used", problems=problems)
    return items
