"""Errors and recorded warnings of the MOS engine."""

from dataclasses import dataclass

# How many ids a warning message names before it says "and N more".
_IDS_IN_MESSAGE = 8


class MosInputError(ValueError):
    """Input the engine cannot analyse; the message names what to fix."""


@dataclass(frozen=True)
class MosWarning:
    """A condition the result depends on, recorded instead of a silent NaN.

    ``code`` is stable (for programs), ``message`` is for people, and ``stimuli`` /
    ``subjects`` list every id concerned.
    """

    code: str
    message: str
    stimuli: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "stimuli": list(self.stimuli),
            "subjects": list(self.subjects),
        }


def name_ids(ids: tuple[str, ...]) -> str:
    """Quote the first few ids for a message: ``'a', 'b' and 3 more``."""
    shown = ", ".join(repr(i) for i in ids[:_IDS_IN_MESSAGE])
    rest = len(ids) - _IDS_IN_MESSAGE
    return f"{shown} and {rest} more" if rest > 0 else shown
