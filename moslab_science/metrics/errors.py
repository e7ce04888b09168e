"""Errors and recorded warnings of the metrics module."""

from dataclasses import dataclass

from moslab_science.errors import DomainError


class MetricsInputError(DomainError):
    """Input no metric can be computed on; the message (and ``problems``) name what to fix."""


class UndefinedMetricError(MetricsInputError):
    """A correlation is undefined on this input (constant predictions or constant MOS)."""


@dataclass(frozen=True)
class MetricWarning:
    """A condition a result depends on, recorded with it instead of a silent NaN.

    ``code`` is stable (for programs), ``message`` is for people.
    """

    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}
