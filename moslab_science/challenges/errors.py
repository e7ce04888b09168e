"""Errors of the challenge domain code (plain Python)."""
from moslab_science.errors import DomainError

#: How many problems a refusal lists before it says how many more there are.
MAX_PROBLEMS = 50


class ChallengeInputError(DomainError):
    """Input a challenge refuses (a score spec, a predictions file, a fact sheet); `problems` say what to fix."""


def capped(problems: list[str], limit: int = MAX_PROBLEMS) -> list[str]:
    """The first `limit` problems, then one line saying how many were left out."""
    if len(problems) <= limit:
        return list(problems)
    return [*problems[:limit], f"... and {len(problems) - limit} more problem(s) not listed; fix these first"]
