"""The five quality level words Q-Align and DeQA-Score train on, and equal-width binning onto them."""

import math

LEVELS = ("bad", "poor", "fair", "good", "excellent")
#: The question and answer of Q-Align's training conversations.
QUESTION = "How would you rate the quality of this image?\n<|image|>"
ANSWER = "The quality of the image is {}."


def level_index(value: float, low: float, high: float) -> int:
    """0 (bad) .. 4 (excellent): five equal-width bins over [low, high], upper edges inclusive.

    A value on an edge goes to the lower level and values outside the range to the end levels,
    as in Q-Align's and DeQA-Score's ``get_level``.
    """
    if high <= low:
        raise ValueError(f"the level range must have low < high; got [{low!r}, {high!r}].")
    return min(max(math.ceil(5 * (value - low) / (high - low) - 1e-9) - 1, 0), 4)


def conversation(level: str) -> list[dict[str, str]]:
    return [{"from": "human", "value": QUESTION}, {"from": "gpt", "value": ANSWER.format(level)}]


def level_of_answer(entry: dict) -> str | None:
    """The level word of a training entry's answer, or None if it has not Q-Align's shape."""
    turns = entry.get("conversations")
    if not (isinstance(turns, list) and len(turns) == 2):
        return None
    human, gpt = turns
    if human.get("from") != "human" or "<|image|>" not in str(human.get("value")) or gpt.get("from") != "gpt":
        return None
    answer = str(gpt.get("value"))
    words = [level for level in LEVELS if answer == ANSWER.format(level)]
    return words[0] if words else None
