"""The training table: one row per image with its MOS, the part of the split it belongs to and a group.

It is the CSV that moslab exports (``image,mos`` plus one column per split and group columns). The split
column is chosen in the configuration (``data.split_column``); its values must be train, val or test. For
DeQA-Score soft labels a row may also carry the ratings' standard deviation (``data.std_column``, MOS units) or
its five level probabilities (``data.level_columns``, bad first).
"""
import math
from dataclasses import dataclass
from pathlib import Path

from moslab_science.iqa.config import PARTS
from moslab_science.iqa.errors import IqaError
from moslab_science.iqa.soft_labels import LEVELS
from moslab_science.metrics.tables import numbers_by_name, read_rows


@dataclass(frozen=True)
class Item:
    name: str
    mos: float
    part: str
    group: str = ""
    prompt: str = ""
    std: float | None = None
    levels: tuple[float, ...] | None = None  # probabilities of levels 1..5 (bad first)


def read_training_table(path: Path, data: dict, *, required_parts: tuple[str, ...] = ("train", "val")) -> list[Item]:
    """The rows of `path`, checked: MOS finite, names unique, every part known, the `required_parts` present."""
    image, mos_column = data["image_column"], data["mos_column"]
    split, group, prompt = data["split_column"], data["group_column"], data["prompt_column"]
    std_column, level_columns = data["std_column"], list(data["level_columns"] or [])
    if level_columns and len(level_columns) != LEVELS:
        raise IqaError(f"data.level_columns names {len(level_columns)} columns: give the {LEVELS} level columns, "
                       "bad first")
    columns = (image, mos_column, split, group, prompt, std_column, *level_columns)
    rows = read_rows(path, required=tuple(column for column in columns if column))
    mos = numbers_by_name(rows, name_column=image, value_column=mos_column, file_label=Path(path).name)
    problems = []
    items = []
    for line, row in enumerate(rows, start=2):
        part = (row[split] or "").strip()
        if part not in PARTS:
            problems.append(f"line {line}: {split} is {part!r}; use one of {', '.join(PARTS)}")
            continue
        name = row[image].strip()
        std = _number(row[std_column], f"line {line}: {std_column}", problems) if std_column else None
        if std is not None and std < 0:
            problems.append(f"line {line}: {std_column} is negative")
        levels = None
        if level_columns:
            levels = tuple(_number(row[column], f"line {line}: {column}", problems) or 0.0
                           for column in level_columns)
            if min(levels) < 0 or not math.isclose(sum(levels), 1.0, abs_tol=1e-6):
                problems.append(f"line {line}: the level probabilities {levels} must be non-negative and sum to 1")
        items.append(Item(name=name, mos=mos[name], part=part, group=(row[group] or "").strip() if group else "",
                          prompt=(row[prompt] or "").strip() if prompt else "", std=std, levels=levels))
    counts = {part: sum(item.part == part for item in items) for part in PARTS}
    problems += [
        f"the {split} column has no {part!r} rows; a run needs a {part} part"
        + (" to choose its checkpoint on (never the test part)" if part == "val" else "")
        for part in required_parts
        if not counts[part]
    ]
    if problems:
        raise IqaError(f"{Path(path).name} cannot be used for training", problems=problems)
    return items


def _number(text: str | None, where: str, problems: list[str]) -> float | None:
    try:
        value = float((text or "").strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        problems.append(f"{where} is {text!r}, not a finite number")
        return None
    return value


def read_prompts(path: Path, data: dict) -> dict[str, str]:
    """The prompt of each image of the table (``data.prompt_column``), for scoring with a prompt-conditioned model."""
    image, prompt = data["image_column"], data["prompt_column"]
    return {row[image].strip(): (row[prompt] or "").strip() for row in read_rows(path, required=(image, prompt))}
