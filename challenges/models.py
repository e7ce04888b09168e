"""A challenge on a dataset version and split: phases, teams, participants, submissions, fact sheets, baselines."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from common.models import Job, TimeStampedModel


class Challenge(TimeStampedModel):
    """Organisers are the coordinators and researchers of the version's study; nobody else edits it."""

    version = models.ForeignKey("studies.DatasetVersion", on_delete=models.PROTECT, related_name="+")
    split = models.ForeignKey("studies.DatasetSplit", on_delete=models.PROTECT, related_name="+")
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    rules = models.TextField(blank=True)
    terms = models.TextField(help_text="What a participant accepts when registering.")
    score_spec = models.JSONField(help_text='{"formula": "ntire2024"|"vquala2025"|"weighted", "weights": {...}}')
    is_public = models.BooleanField(default=False, help_text="Listed and open to registration.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Phase(models.Model):
    class Kind(models.TextChoices):
        DEVELOPMENT = "development", "Development"
        TEST = "test", "Test"

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="phases")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    part = models.CharField(max_length=40, help_text="The part of the split scored, e.g. val or test.")
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    max_per_day = models.PositiveIntegerField(help_text="Per team, per UTC day.")
    max_total = models.PositiveIntegerField(help_text="Per team, over the phase.")
    results_published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["challenge", "opens_at"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "kind"], name="challenge_phase_unique_kind"),
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="challenge_phase_dates"),
            models.CheckConstraint(condition=Q(max_per_day__gt=0, max_total__gt=0),
                                   name="challenge_phase_limits_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} phase of {self.challenge}"


class Team(TimeStampedModel):
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=80)
    join_code = models.CharField(max_length=32, unique=True, help_text="Members share it with whom they invite.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    last_submit_at = models.DateTimeField(null=True, blank=True, help_text="Written under the submit lock.")

    class Meta:
        ordering = ["challenge", "name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "challenge", name="challenge_team_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Participant(models.Model):
    """A registration: one per user and challenge, terms accepted, in at most one team."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    accepted_terms_at = models.DateTimeField()
    terms_sha256 = models.CharField(max_length=64, help_text="Of the terms text accepted.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["challenge", "user"], name="challenge_participant_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.challenge}"


def submission_upload_path(instance: "Submission", filename: str) -> str:
    return f"challenges/{instance.phase.challenge_id}/submissions/{instance.team_id}/{filename}"


class Submission(Job):
    """A valid predictions file (invalid ones are refused at submit); the row is the scoring job (common.jobs)."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="submissions")
    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="submissions")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=submission_upload_path, max_length=255)
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveBigIntegerField()
    predictions = models.JSONField(help_text="{image: score}, as read from the file.")
    scores = models.JSONField(default=dict, blank=True, help_text="srcc, plcc, krcc, plcc_poly3, score, n...")
    warnings = models.JSONField(default=list, blank=True)
    is_final = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["team", "phase", "sha256"], name="challenge_submission_unique_file"),
            models.UniqueConstraint(fields=["team", "phase"], condition=Q(is_final=True),
                                    name="challenge_submission_one_final"),
        ]
        indexes = [models.Index(fields=["team", "phase", "created_at"], name="challenge_submission_team_idx")]

    def __str__(self) -> str:
        return f"{self.team} submission {self.pk} ({self.status})"


class FactSheet(TimeStampedModel):
    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="fact_sheet")
    method = models.TextField()
    parameters_m = models.FloatField(help_text="Parameters, in millions.")
    input_size = models.CharField(max_length=60)
    gflops = models.FloatField()
    ensemble = models.BooleanField()
    extra_data = models.BooleanField()
    code_url = models.URLField(blank=True)

    def __str__(self) -> str:
        return f"fact sheet of {self.submission}"


class Baseline(TimeStampedModel):
    """An organiser's reference entry (e.g. a trained moslab model), scored at once, listed apart."""

    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="baselines")
    label = models.CharField(max_length=120)
    predictions = models.JSONField()
    predictions_sha256 = models.CharField(max_length=64)
    scores = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["phase", "label"]
        constraints = [models.UniqueConstraint(fields=["phase", "label"], name="challenge_baseline_unique_label")]

    def __str__(self) -> str:
        return f"baseline {self.label} of {self.phase}"


def bundle_upload_path(instance: "ParticipantBundle", filename: str) -> str:
    return f"challenges/{instance.challenge_id}/bundles/{filename}"


class ParticipantBundle(Job):
    """The participants' zip, built once per content `key` (data, split and README) by a Celery task."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="bundles")
    key = models.CharField(max_length=64)
    file = models.FileField(upload_to=bundle_upload_path, max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["challenge", "key"], name="challenge_bundle_unique_key")]

    def __str__(self) -> str:
        return f"participant bundle of {self.challenge} ({self.status})"
