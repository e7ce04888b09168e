"""Studies, their stimuli, who takes part, the votes, and MOS computations."""
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import TimeStampedModel


class Study(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open for rating"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    scale_min = models.FloatField(default=1)
    scale_max = models.FloatField(default=5)
    raters_per_stimulus = models.PositiveSmallIntegerField(default=5)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name_plural = "studies"
        constraints = [
            models.CheckConstraint(condition=Q(scale_max__gt=models.F("scale_min")), name="study_scale_ordered"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    class Role(models.TextChoices):
        COORDINATOR = "coordinator", "Coordinator"
        ANNOTATOR = "annotator", "Annotator"
        RESEARCHER = "researcher", "Researcher"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=12, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "user", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.role} in {self.study}"


def stimulus_upload_path(instance: "Stimulus", filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"stimuli/{instance.study_id}/{instance.sha256[:2]}/{instance.sha256}.{suffix}"


class Stimulus(TimeStampedModel):
    """One image as uploaded: the stored bytes are the uploaded bytes, never re-encoded."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="stimuli")
    name = models.CharField(max_length=255, help_text="File name as imported; unique in the study.")
    file = models.FileField(upload_to=stimulus_upload_path, max_length=255)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveBigIntegerField()
    image_format = models.CharField(max_length=16)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    source_content = models.CharField(
        max_length=255, blank=True, help_text="Id of the source content; splits never separate it."
    )
    groups = models.JSONField(default=dict, blank=True, help_text="Group labels, e.g. degradation, enhancer.")
    reference = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="derived"
    )
    prompt = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "stimuli"
        ordering = ["study", "name"]
        constraints = [
            models.UniqueConstraint(fields=["study", "name"], name="stimulus_unique_name"),
            models.UniqueConstraint(fields=["study", "sha256"], name="stimulus_unique_content"),
        ]

    def __str__(self) -> str:
        return self.name


class Rating(models.Model):
    """One vote. Never updated in place; `client_id` makes a submission idempotent per rater."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="ratings")
    stimulus = models.ForeignKey(Stimulus, on_delete=models.PROTECT, related_name="ratings")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ratings")
    score = models.FloatField()
    client_id = models.UUIDField(default=uuid.uuid4)
    response_time_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rater", "client_id"], name="rating_unique_client_id"),
        ]
        indexes = [models.Index(fields=["study", "stimulus"], name="rating_study_stimulus_idx")]

    def __str__(self) -> str:
        return f"{self.rater} gave {self.score} to {self.stimulus}"


class MosComputation(TimeStampedModel):
    """A request to compute MOS for a study; the row is the status, the results hang off it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Method(models.TextChoices):
        MEAN = "mean", "Plain mean"
        BT500 = "bt500", "ITU-R BT.500 screening"
        ZSCORE = "zscore", "Per-subject z-scores"
        P913 = "p913", "ITU-T P.913 bias removal"
        MLE = "mle", "MLE subject model"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="mos_computations")
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.MEAN)
    parameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    warnings = models.JSONField(default=list, blank=True)
    num_ratings = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} for {self.study} ({self.status})"


class StimulusMos(models.Model):
    computation = models.ForeignKey(MosComputation, on_delete=models.CASCADE, related_name="results")
    stimulus = models.ForeignKey(Stimulus, on_delete=models.CASCADE, related_name="mos_results")
    mos = models.FloatField(null=True)
    std = models.FloatField(null=True)
    ci95 = models.FloatField(null=True, help_text="Half-width of the 95% confidence interval.")
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["computation", "stimulus"], name="stimulus_mos_unique"),
        ]

    def __str__(self) -> str:
        return f"MOS {self.mos} of {self.stimulus_id} in computation {self.computation_id}"
