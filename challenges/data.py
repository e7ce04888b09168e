"""What a challenge reads of its dataset version: the parts of its split and, server-side only, their MOS.

`hidden_mos` is for scoring and for organisers; nothing a participant reaches may call it before results are
published (the selectors check that).
"""
from challenges.models import Challenge
from moslab_science.challenges.bundle import TRAIN_PART


def parts_of(challenge: Challenge) -> dict[str, list[str]]:
    """Part -> sorted image names of the challenge's split (items of the version only)."""
    names = {item["name"] for item in challenge.version.items}
    parts: dict[str, list[str]] = {}
    for name, part in challenge.split.assignment.items():
        if name in names:
            parts.setdefault(part, []).append(name)
    return {part: sorted(members) for part, members in sorted(parts.items())}


def part_names(challenge: Challenge, part: str) -> list[str]:
    return parts_of(challenge).get(part, [])


def hidden_mos(challenge: Challenge, part: str) -> dict[str, float]:
    """{image: MOS} of one part. Server-side only: never hand the result of a hidden part to a participant."""
    assignment = challenge.split.assignment
    return {item["name"]: float(item["mos"]) for item in challenge.version.items
            if assignment.get(item["name"]) == part}


def train_mos(challenge: Challenge) -> dict[str, float]:
    """The MOS participants receive: the training part's, and only that."""
    return hidden_mos(challenge, TRAIN_PART)
