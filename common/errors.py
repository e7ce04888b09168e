"""The apps' errors: the science package's DomainError, and the refusal of a role in a study."""
from moslab_science.errors import DomainError

__all__ = ["DomainError", "PermissionDeniedError"]


class PermissionDeniedError(DomainError):
    """The user asking has no role in the study that allows this."""
