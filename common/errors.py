"""Domain errors: raised by services, turned into clear messages by views, the API and commands."""


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


class PermissionDeniedError(DomainError):
    """The user asking has no role in the study that allows this."""
