"""Plain records a dataset is made of: one item per stimulus, one raw vote per rating."""

from dataclasses import dataclass, field

from moslab_science.errors import excerpt


@dataclass(frozen=True)
class DatasetItem:
    """One stimulus of a dataset with its MOS statistics and metadata.

    ``file`` is the path inside a bundle (``images/<name>``) or, for an import, the name to look
    up in the image folder. ``std``, ``ci95`` and ``count`` are None when unknown. ``groups`` maps
    a group column (``degradation``, ``enhancer`` ...) to a non-empty value; an empty value is
    the same as a missing one.
    """

    name: str
    file: str
    sha256: str
    mos: float
    std: float | None
    ci95: float | None
    count: int | None
    source_content: str
    groups: dict[str, str] = field(default_factory=dict)
    reference: str = ""
    prompt: str = ""


@dataclass(frozen=True, slots=True)
class RawVote:
    """One rating: ``created_at`` is ISO 8601 text, or empty when unknown."""

    stimulus: str
    subject: str
    score: float
    repetition: int = 0
    round: int = 0
    verified: bool = True
    subject_rejected: bool = False
    created_at: str = ""

    @property
    def counts(self) -> bool:
        """Whether this vote enters MOS statistics: verified and its subject not rejected."""
        return self.verified and not self.subject_rejected


class DatasetError(Exception):
    """Input a dataset function refuses; ``problems`` lists every problem found, each saying what to fix."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


#: How many examples a problem message names before it says "and N more".
EXAMPLES_NAMED = 5
def name_examples(examples: list[str]) -> str:
    """``'a', 'b' and 3 more``: the first few examples of a problem, each cut to a short excerpt."""
    shown = ", ".join(excerpt(example) for example in examples[:EXAMPLES_NAMED])
    rest = len(examples) - EXAMPLES_NAMED
    return f"{shown} and {rest} more" if rest > 0 else shown
