"""Domain errors: raised by the science code and services; views, the API and commands show their messages."""


class DomainError(Exception):
    """A request the domain refuses; the message says what to fix."""

    def __init__(self, message: str, *, problems: list[str] | None = None):
        self.problems = problems or []
        super().__init__(message)

    def __str__(self) -> str:
        base = super().__str__()
        if not self.problems:
            return base
        return base + "\n" + "\n".join(f"- {problem}" for problem in self.problems)


#: The longest piece of a user's file that a message quotes (a whole file pasted as one cell stays short).
EXCERPT_CHARS = 80


def excerpt(text: object, limit: int = EXCERPT_CHARS) -> str:
    """``text`` as one line of at most ``limit`` characters, cut with an ellipsis when longer."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "\u2026"
