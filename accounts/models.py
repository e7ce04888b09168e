from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A personal API token: a script acts as its user, with that user's roles in each study.

    Only a SHA-256 of the secret is stored; the secret is shown once, when the token is made.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'training cluster'.")
    prefix = models.CharField(max_length=12, help_text="The secret's first characters, to recognise it in a list.")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the secret (hex).")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="api_token_unique_name_per_user")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
