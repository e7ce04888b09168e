"""The training table: one row per image with its MOS, the part of the split it belongs to and a group.

It is the CSV that moslab exports (``image,mos`` plus one column per split and group columns). The split
column is chosen in the configuration (``data.split_column``); its values must be train, val or test.
"""
from dataclasses import dataclass
from pathlib import Path

from modeling.iqa.config import PARTS
from modeling.iqa.errors import IqaError
from modeling.metrics.tables import numbers_by_name, read_rows


@dataclass(frozen=True)
class Item:
    name: str
    mos: float
    part: str
    group: str = ""
    prompt: str = ""


def read_training_table(path: Path, data: dict) -> list[Item]:
    """The rows of `path`, checked: MOS finite, names unique, every part known, train and val present."""
    image, mos_column = data["image_column"], data["mos_column"]
    split, group, prompt = data["split_column"], data["group_column"], data["prompt_column"]
    rows = read_rows(path, required=tuple(column for column in (image, mos_column, split, group, prompt) if column))
    mos = numbers_by_name(rows, name_column=image, value_column=mos_column, file_label=Path(path).name)
    problems = []
    items = []
    for line, row in enumerate(rows, start=2):
        part = (row[split] or "").strip()
        if part not in PARTS:
            problems.append(f"line {line}: {split} is {part!r}; use one of {', '.join(PARTS)}")
            continue
        name = row[image].strip()
        items.append(Item(name=name, mos=mos[name], part=part, group=(row[group] or "").strip() if group else "",
                          prompt=(row[prompt] or "").strip() if prompt else ""))
    counts = {part: sum(item.part == part for item in items) for part in PARTS}
    problems += [
        f"the {split} column has no {part!r} rows; a run needs a {part} part"
        + (" to choose its checkpoint on (never the test part)" if part == "val" else "")
        for part in ("train", "val")
        if not counts[part]
    ]
    if problems:
        raise IqaError(f"{Path(path).name} cannot be used for training", problems=problems)
    return items


def read_prompts(path: Path, data: dict) -> dict[str, str]:
    """The prompt of each image of the table (``data.prompt_column``), for scoring with a prompt-conditioned model."""
    image, prompt = data["image_column"], data["prompt_column"]
    return {row[image].strip(): (row[prompt] or "").strip() for row in read_rows(path, required=(image, prompt))}
