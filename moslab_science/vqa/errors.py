"""Errors of the video package; each message says what to fix."""
from moslab_science.iqa.errors import IqaError


class VqaError(IqaError):
    """Bad input to video training or prediction: a table, a clip, a configuration."""
