"""DeQA-Score soft labels: per-level probabilities built from the raw ratings.

Published shape (zhiyuanyou/DeQA-Score ``build_soft_labels/gen_soft_label.py``, read by
``src/datasets/single_dataset.py``): a JSON array of ``{"id": "<name>-><mos>", "image", "gt_score",
"gt_score_norm" (MOS mapped to 1..5), "level_probs" (five probabilities, excellent first, bad
last), "std", "std_norm", "conversations"}`` where the conversation is Q-Align's.

DeQA-Score fits a Gaussian to MOS and std; moslab has the raw votes, so ``level_probs`` is the
share of the item's counted votes (verified, subject not rejected) on each level. A vote on a
scale other than 1..5 is binned like a MOS: five equal-width bins over the declared scale, an
edge going to the lower level (on 1..10, votes 1-2 are bad, 3-4 poor, 5-6 fair, 7-8 good,
9-10 excellent). ``gt_score_norm = 1 + 4 (mos - low) / (high - low)`` uses the declared scale,
not the dataset's MOS range, so it does not change with the items chosen; ``std_norm = 4 std /
(high - low)``. The answer's level word is the level of the MOS.
"""

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from moslab_science.datasets.formats.levels import LEVELS, conversation, level_index, level_of_answer
from moslab_science.datasets.records import DatasetError, DatasetItem, RawVote, name_examples
from moslab_science.datasets.text import text_of


@dataclass(frozen=True)
class DeqaEntry:
    image: str
    score: float
    level: str
    level_probs: tuple[float, ...]  # excellent first, as published
    std: float | None = None


def write_deqa_json(
    items: Sequence[DatasetItem], votes: Sequence[RawVote], stream: IO[str], *, scale: tuple[float, float]
) -> None:
    """One entry per item (sorted by name); every item needs at least one counted vote."""
    low, high = float(scale[0]), float(scale[1])
    counts: dict[str, list[int]] = {item.name: [0] * len(LEVELS) for item in items}
    for vote in votes:
        if vote.counts and vote.stimulus in counts:
            counts[vote.stimulus][level_index(vote.score, low, high)] += 1
    unrated = [item.name for item in items if not sum(counts[item.name])]
    if unrated:
        raise DatasetError(f"{len(unrated)} item(s) have no counted votes for soft labels: {name_examples(unrated)}.")
    entries = []
    for item in sorted(items, key=lambda item: item.name):
        total = sum(counts[item.name])
        entries.append(
            {
                "id": f"{item.name}->{item.mos!r}",
                "image": item.file,
                "gt_score": item.mos,
                "gt_score_norm": 1 + 4 * (item.mos - low) / (high - low),
                "level_probs": [n / total for n in reversed(counts[item.name])],
                "std": item.std,
                "std_norm": None if item.std is None else 4 * item.std / (high - low),
                "conversations": conversation(LEVELS[level_index(item.mos, low, high)]),
            }
        )
    json.dump(entries, stream, indent=4, ensure_ascii=False, allow_nan=False)
    stream.write("\n")


def read_deqa_json(stream: IO) -> list[DeqaEntry]:
    """Entries of a DeQA-Score soft-label file, checked against the published shape."""
    try:
        data = json.loads(text_of(stream))
    except json.JSONDecodeError as error:
        raise DatasetError(f"the DeQA-Score file is not valid JSON ({error}).") from None
    if not isinstance(data, list):
        raise DatasetError("a DeQA-Score file is a JSON array of entries.")
    entries, bad = [], []
    for index, entry in enumerate(data):
        parsed = _entry(entry) if isinstance(entry, dict) else None
        if parsed is None:
            bad.append(f"#{index}")
        else:
            entries.append(parsed)
    if bad:
        raise DatasetError(
            f"{len(bad)} entries lack DeQA-Score's shape (image, gt_score, five level_probs summing to 1 and a "
            f"Q-Align conversation): {name_examples(bad)}."
        )
    return entries


def _entry(entry: dict) -> DeqaEntry | None:
    probs, score, level = entry.get("level_probs"), entry.get("gt_score"), level_of_answer(entry)
    if not (isinstance(probs, list) and len(probs) == len(LEVELS) and all(isinstance(p, int | float) for p in probs)):
        return None
    if min(probs) < 0 or not math.isclose(sum(probs), 1.0, abs_tol=1e-9):
        return None
    if level is None or not isinstance(score, int | float) or not isinstance(entry.get("image"), str):
        return None
    std = entry.get("std")
    std = float(std) if isinstance(std, int | float) and not isinstance(std, bool) and math.isfinite(std) else None
    return DeqaEntry(image=entry["image"], score=float(score), level=level, level_probs=tuple(map(float, probs)),
                     std=std)
