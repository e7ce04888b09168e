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
