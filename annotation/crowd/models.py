"""A study's public link and the participants it enrolled (platform ids, environment check, payment decision)."""
import secrets

from django.conf import settings
from django.db import models

from common.models import TimeStampedModel
from moslab_science.rating.crowd import PROLIFIC_PARAMETERS
from studies.models import Study


def _link_token() -> str:
    return secrets.token_urlsafe(12)


def _prolific_parameters() -> list[str]:
    return list(PROLIFIC_PARAMETERS)


class CrowdLink(TimeStampedModel):
    """The study's public link: off until a coordinator switches it on; its token makes the address unguessable."""

    study = models.OneToOneField(Study, on_delete=models.CASCADE, related_name="crowd_link")
    token = models.CharField(max_length=32, unique=True, default=_link_token)
    enabled = models.BooleanField(default=False)
    parameters = models.JSONField(default=_prolific_parameters,
                                  help_text="URL parameter names to capture; the first is the participant id.")
    completion_url = models.CharField(max_length=500, blank=True,
                                      help_text="Where the done page sends the participant; {code} is filled in.")
    participant_cap = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"public link of {self.study} ({'on' if self.enabled else 'off'})"


class CrowdParticipant(TimeStampedModel):
    """One platform participant: the account the link made for them, their platform ids and environment check."""

    class Decision(models.TextChoices):
        PENDING = "pending", "Not decided"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="crowd_participants")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="crowd_participant")
    participant_id = models.CharField(max_length=100, help_text="The platform's participant id (first parameter).")
    platform_ids = models.JSONField(default=dict, help_text="Every captured parameter, as the platform passed it.")
    environment = models.JSONField(default=dict, blank=True, help_text="Browser, screen, window, pixel ratio, zoom.")
    environment_ok = models.BooleanField(default=False)
    environment_problems = models.JSONField(default=list, blank=True)
    environment_checked_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["study", "created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["study", "participant_id"], name="crowd_participant_unique")]

    def __str__(self) -> str:
        return f"{self.participant_id} in {self.study}"
