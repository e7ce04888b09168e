"""Q-Align training JSON: MOS as one of five level words.

Published shape (Q-Future/Q-Align ``playground/data``, e.g. ``ft/livec/train_split_1.json``): a
JSON array of ``{"id": "<image>-><score>", "image": <path>, "conversations": [{"from": "human",
"value": "How would you rate the quality of this image?\\n<|image|>"}, {"from": "gpt", "value":
"The quality of the image is <level>."}], "gt_score": <score>}``. Levels are bad, poor, fair,
good, excellent: five equal-width bins between the lowest and highest MOS of the training part
(Q-Align paper, Sec. 3); MOS outside that range (test items) take the end levels.
"""

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import IO

from moslab_science.datasets.formats.levels import LEVELS, conversation, level_index, level_of_answer
from moslab_science.datasets.records import DatasetError, DatasetItem, name_examples
from moslab_science.datasets.text import text_of


@dataclass(frozen=True)
class QAlignEntry:
    image: str
    level: str
    score: float


def write_qalign_json(
    items: Sequence[DatasetItem],
    split_assignment: Mapping[str, str],
    stream: IO[str],
    *,
    train_part: str = "train",
    scale: tuple[float, float],
    parts: Collection[str] | None = None,
) -> None:
    """Entries for the items in ``split_assignment`` (only those in ``parts``, if given), sorted by name.

    Write one file per part by calling this once per part with ``parts={part}``.
    """
    chosen = sorted(
        (i for i in items if i.name in split_assignment and (parts is None or split_assignment[i.name] in parts)),
        key=lambda item: item.name,
    )
    low, high = _training_range(items, split_assignment, train_part, scale)
    entries = [
        {
            "id": f"{item.file}->{item.mos!r}",
            "image": item.file,
            "conversations": conversation(LEVELS[level_index(item.mos, low, high)]),
            "gt_score": item.mos,
        }
        for item in chosen
    ]
    json.dump(entries, stream, indent=4, ensure_ascii=False, allow_nan=False)
    stream.write("\n")


def read_qalign_json(stream: IO) -> list[QAlignEntry]:
    """Entries of a Q-Align JSON file, checked against the published shape."""
    try:
        data = json.loads(text_of(stream))
    except json.JSONDecodeError as error:
        raise DatasetError(f"the Q-Align file is not valid JSON ({error}).") from None
    if not isinstance(data, list):
        raise DatasetError("a Q-Align file is a JSON array of entries.")
    entries, bad = [], []
    for index, entry in enumerate(data):
        level = level_of_answer(entry) if isinstance(entry, dict) else None
        score = entry.get("gt_score") if isinstance(entry, dict) else None
        if level is None or not isinstance(entry.get("image"), str) or not isinstance(score, int | float):
            bad.append(f"#{index}")
            continue
        entries.append(QAlignEntry(image=entry["image"], level=level, score=float(score)))
    if bad:
        raise DatasetError(
            f"{len(bad)} entries lack Q-Align's shape (image, gt_score and a human/gpt conversation ending "
            f"'The quality of the image is <level>.'): {name_examples(bad)}."
        )
    return entries


def _training_range(
    items: Sequence[DatasetItem], assignment: Mapping[str, str], train_part: str, scale: tuple[float, float]
) -> tuple[float, float]:
    outside = [f"{i.name!r} ({i.mos:g})" for i in items if not scale[0] <= i.mos <= scale[1]]
    if outside:
        raise DatasetError(f"MOS outside the scale [{scale[0]:g}, {scale[1]:g}]: {name_examples(outside)}.")
    training = [item.mos for item in items if assignment.get(item.name) == train_part]
    if not training:
        raise DatasetError(f"no item is in the part {train_part!r}; the level bins come from the training range.")
    low, high = min(training), max(training)
    return (low, high) if high > low else (float(scale[0]), float(scale[1]))
