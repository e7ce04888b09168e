"""Invitation links to a study. Imported by `studies.models`; foreign keys name other models as strings."""
from django.conf import settings
from django.db import models
from django.db.models import Q


class Invitation(models.Model):
    """A link that gives whoever opens it (signed in, or after signing up) one role in a study.

    Only a SHA-256 of the link's secret is stored; the link is shown once, when it is made.
    """

    study = models.ForeignKey("studies.Study", on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=12, help_text="A Membership.Role value.")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the link's secret (hex).")
    prefix = models.CharField(max_length=8, help_text="The secret's first characters, to recognise it in a list.")
    note = models.CharField(max_length=200, blank=True, help_text="Who the link is for, e.g. 'lab panel, March'.")
    expires_at = models.DateTimeField()
    max_uses = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no cap.")
    uses = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(max_uses__isnull=True) | Q(uses__lte=models.F("max_uses")),
                                   name="invitation_uses_within_cap"),
        ]

    def __str__(self) -> str:
        return f"{self.role} invitation {self.prefix}… to study {self.study_id}"


class InvitationUse(models.Model):
    """Who joined through which link (one row per person and link: opening it again changes nothing)."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="acceptances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["invitation", "user"], name="invitation_use_unique")]

    def __str__(self) -> str:
        return f"{self.user} joined by {self.invitation}"
