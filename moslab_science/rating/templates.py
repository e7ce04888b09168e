"""Protocol templates a coordinator starts a study from: a name, and the protocol config it publishes.

A template is only a starting point: the protocol page edits every setting afterwards (a new version).
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class ProtocolTemplate:
    key: str
    label: str
    summary: str
    config: dict


PLAIN_ACR_INSTRUCTIONS = (
    "Look at each image and rate its overall quality on the five-point scale: 5 Excellent, 4 Good, 3 Fair, "
    "2 Poor, 1 Bad. There is no right answer: give your own impression, and use the whole scale."
)

PROTOCOL_TEMPLATES: dict[str, ProtocolTemplate] = {template.key: template for template in (
    ProtocolTemplate(
        key="au-iqa", label="AU-IQA deduction guideline",
        summary="Every image starts at the top; the rater marks problems in four aspects (resolution, brightness, "
                "noise, distortion) and the page suggests the score. A different score needs a one-line reason.",
        config={},  # the defaults are the AU-IQA guideline (moslab_science.rating.protocol.DEFAULTS)
    ),
    ProtocolTemplate(
        key="plain-acr", label="Plain ACR",
        summary="Absolute category rating as in ITU-T P.910: one score per image, no deductions and no reasons.",
        config={"aspects": [], "instructions": PLAIN_ACR_INSTRUCTIONS, "reason_tolerance": 4.0},  # never asks why
    ),
)}


def protocol_template(key: str) -> ProtocolTemplate:
    """The template named `key`; ValueError naming the known ones otherwise."""
    if key not in PROTOCOL_TEMPLATES:
        raise ValueError(f"Unknown protocol template {key!r}; choose one of {', '.join(PROTOCOL_TEMPLATES)}.")
    return PROTOCOL_TEMPLATES[key]
