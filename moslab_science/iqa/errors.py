"""Errors of the IQA package; each message says what to fix."""
from moslab_science.errors import DomainError


class IqaError(DomainError):
    """Bad input to training or prediction: a table, an image, a configuration."""


class WeightError(IqaError):
    """A pretrained weight file is missing, unreadable or not the file the registry names."""


class TrainingStopped(Exception):
    """The run was asked to stop (`reason`: "cancelled", "SIGTERM", "SIGINT"); last.pt holds the step it
    stopped after, so a resumed run continues from there."""

    def __init__(self, message: str, *, reason: str = "cancelled"):
        super().__init__(message)
        self.reason = reason
